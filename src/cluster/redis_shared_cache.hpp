// The shared L2 cache on Redis (see cluster/shared_cache.hpp for the protocol). One round trip
// per get (MGET value, generation) and per put or invalidate (a Lua script). After a failure
// Redis is left alone for a second, so a dead Redis costs one timeout a second, not one per
// request.
#pragma once
#include <atomic>
#include <chrono>

#include "cluster/shared_cache.hpp"
#include "redis/redis_client.hpp"
#include "redis/redis_script.hpp"

namespace archon::cluster {

class RedisSharedCache final : public SharedCache {
 public:
  explicit RedisSharedCache(redis::RedisClient& client);

  Lookup get(std::string_view key, std::string_view generation_key) override;
  void put(std::string_view key, std::string_view generation_key, std::string_view generation,
           std::string_view value, std::chrono::seconds ttl) override;
  void invalidate(std::string_view key, std::string_view generation_key) override;
  void invalidate_all() override;

  // Every value is stored under the epoch current when it was written; bumping the epoch
  // makes all of them misses at once (no SCAN over the keyspace).
  static constexpr const char* kEpochKey = "l2:epoch";

 private:
  bool resting() const;
  void failed(const std::exception& e);
  // An invalidation was lost: bump the epoch before anything else is read or written.
  bool settle_lost_invalidation();

  redis::RedisClient& client_;
  redis::RedisScript put_script_;
  redis::RedisScript invalidate_script_;
  std::atomic<std::int64_t> rest_until_ns_{0};
  std::atomic<bool> lost_invalidation_{false};
};

}  // namespace archon::cluster
