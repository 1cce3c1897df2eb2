// The rate limiter shared by several instances: each (scope, key) is one Redis key,
// "rate_limit:<scope name>:<key>", holding the GCRA theoretical arrival time, and each acquire
// is one atomic Lua script doing exactly gcra_step's arithmetic. When Redis fails the requests
// go to a fallback limiter (the in-process one), so a Redis outage loosens limits to
// per-instance ones rather than failing requests or lifting the limits.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ratelimit/rate_limiter.hpp"
#include "redis/redis_client.hpp"
#include "redis/redis_script.hpp"

namespace archon::redis {

class RedisRateLimiter final : public ratelimit::RateLimiter {
 public:
  // `client` and `fallback` must outlive this; `fallback` gets the same scopes in the same
  // order. `on_fallback(true)` when Redis fails and requests start going to the fallback,
  // `on_fallback(false)` when Redis answers again: transitions only, called on the requesting
  // thread; it must be quick and must not throw. After a failure Redis is tried again by one
  // request at most every `retry_interval`, so a dead Redis costs one timeout per interval,
  // not one per request.
  RedisRateLimiter(RedisClient& client, std::vector<ratelimit::LimitScope> scopes, ratelimit::RateLimiter& fallback,
                   std::function<void(bool redis_down)> on_fallback,
                   std::chrono::milliseconds retry_interval = std::chrono::seconds(1));

  // `now_ns` is passed to the fallback only: Redis decides with its own clock (TIME), the one
  // clock every instance shares; each process's monotonic clock has its own origin. Never
  // throws for a Redis failure: unavailability and error replies alike (an OOM under
  // maxmemory, a foreign value under the key) send the request to the fallback. Never returns
  // kOverflow itself: keys expire when their bucket is full, so Redis memory is the bound.
  ratelimit::LimitOutcome acquire(std::size_t scope, std::string_view key, std::int64_t now_ns) override;
  // Moves the key's TAT back one emission interval, never before Redis's now.
  void refund(std::size_t scope, std::string_view key) override;

  // True from a Redis failure until Redis answers again: the health check's "degraded".
  bool degraded() const { return degraded_.load(std::memory_order_acquire); }
  // Acquires answered by the fallback, for a metric.
  std::uint64_t fallback_acquires() const { return fallback_acquires_.load(std::memory_order_relaxed); }
  // The Redis key of (scope, key): for tests and operators.
  std::string redis_key(std::size_t scope, std::string_view key) const;

 private:
  bool try_redis();
  void redis_failed(const std::exception& e);
  void redis_answered();
  void notify(bool redis_down);

  RedisClient& client_;
  std::vector<ratelimit::LimitScope> scopes_;
  ratelimit::RateLimiter& fallback_;
  std::function<void(bool)> on_fallback_;
  std::int64_t retry_interval_ns_;
  std::atomic<bool> degraded_{false};
  std::atomic<std::int64_t> next_attempt_ns_{0};  // steady clock; while degraded
  std::atomic<std::uint64_t> fallback_acquires_{0};
  RedisScript acquire_script_;
  RedisScript refund_script_;
};

}  // namespace archon::redis
