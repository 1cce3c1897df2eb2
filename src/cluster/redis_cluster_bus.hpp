// The cluster bus over Redis pub/sub: every change an instance makes to state others hold in
// memory is published on one channel, and every instance applies what it hears (its own
// messages too, harmlessly). Pub/sub delivers only to whoever is subscribed at that moment, so:
// until the subscription stands, and from the moment it is lost, the bus is not coherent
// (caches read through, revocations are looked up in the database); each time it is
// (re)established the instance first resyncs (drops its caches, reloads the deny-lists)
// and only then trusts memory again. Nothing is lost in between: the database is written
// before anything is published.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "cluster/cluster_bus.hpp"
#include "redis/redis_client.hpp"
#include "redis/redis_subscriber.hpp"

namespace archon::cluster {

// What the bus applies locally; called on the subscriber's thread.
struct BusListener {
  std::function<void(const std::string& user_id)> user_changed;
  std::function<void()> grants_changed;
  std::function<void(std::string_view kind, const std::string& id, std::int64_t expires_at)> revoked;
  // Messages may have been missed: drop every cache, reload the deny-lists.
  std::function<void()> resync;
  // The subscription stood (true) or was lost (false): for health and metrics.
  std::function<void(bool)> state_changed;
};

class RedisClusterBus final : public ClusterBus {
 public:
  static constexpr const char* kChannel = "archon-auth:invalidate";

  // Subscribes in the background; `listen()` must be called before messages are applied.
  RedisClusterBus(redis::RedisClient& client, redis::RedisSubscriberConfig subscriber);
  ~RedisClusterBus() override;

  // Start-up: set what to apply, then start listening.
  void listen(BusListener listener);

  void user_changed(const std::string& user_id) override;
  void grants_changed() override;
  void revoked(std::string_view kind, const std::string& id, std::int64_t expires_at) override;
  bool coherent() const override { return coherent_.load(std::memory_order_acquire); }

  // Messages decoded from the wire format (for tests): "u\n<id>", "g", "r\n<kind>\n<exp>\n<id>".
  void apply(std::string_view message) const;

 private:
  void publish(const std::string& message);

  redis::RedisClient& client_;
  redis::RedisSubscriberConfig subscriber_config_;
  BusListener listener_;
  std::atomic<bool> coherent_{false};
  std::unique_ptr<redis::RedisSubscriber> subscriber_;
};

}  // namespace archon::cluster
