// Listens on one Redis pub/sub channel from a background thread with its own connection, for
// signals between instances (e.g. "revocation list changed"). Pub/sub delivers only to whoever
// is subscribed at that moment, so whenever the subscription is (re)established the owner is
// told (on_connected) and must reload whatever it may have missed; losing it is told too
// (on_disconnected), so the owner can stop trusting its state. Reconnects by itself, with
// backoff doubling from min_backoff to max_backoff.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "redis/redis_url.hpp"

namespace archon::redis {

class RedisConnection;

struct RedisSubscriberConfig {
  RedisEndpoint endpoint;
  std::string channel;
  std::chrono::milliseconds connect_timeout{2000};
  // Each socket read/write; also, a connection silent this long is probed with PING and
  // given up if the PING goes unanswered, so a vanished server is noticed within about this.
  std::chrono::milliseconds command_timeout{1000};
  std::chrono::milliseconds min_backoff{50};
  std::chrono::milliseconds max_backoff{1000};
};

// Called on the subscriber's thread, one at a time; any may be empty. They must not destroy
// the subscriber. An exception from one is logged and dropped.
struct RedisSubscriberCallbacks {
  std::function<void(std::string_view payload)> on_message;
  std::function<void()> on_connected;     // after every successful SUBSCRIBE
  std::function<void()> on_disconnected;  // once per lost subscription (not on destruction)
};

class RedisSubscriber {
 public:
  // Starts the thread, which connects in the background: construction never blocks.
  RedisSubscriber(RedisSubscriberConfig config, RedisSubscriberCallbacks callbacks);
  // Stops the thread: at once while subscribed or backing off; at most connect_timeout +
  // command_timeout if it is in the middle of connecting.
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  bool connected() const { return connected_.load(std::memory_order_acquire); }
  const RedisSubscriberConfig& config() const { return config_; }

 private:
  void run();
  void subscribe(RedisConnection& conn);
  void listen(RedisConnection& conn);
  // Waits until `fd` (if >= 0) is readable, the deadline passes or stop is asked. Returns
  // true if `fd` is readable.
  bool wait(int fd, std::chrono::steady_clock::time_point deadline) const;
  bool stopping() const { return stop_.load(std::memory_order_acquire); }
  template <class F>
  void call(const char* name, F&& f);

  RedisSubscriberConfig config_;
  RedisSubscriberCallbacks callbacks_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> stop_{false};
  int wake_fd_ = -1;  // an eventfd, written once to interrupt every wait
  std::thread thread_;
};

}  // namespace archon::redis
