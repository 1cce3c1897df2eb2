// Process metrics with the spec's names, rendered in the Prometheus text exposition format
// (version 0.0.4). Recording is sharded per thread so I/O threads never contend; a scrape
// merges the shards. Thread-safe. Labels are route templates, never raw paths.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace archon::observability {

inline constexpr std::array<double, 13> kLatencyBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,    0.25,  0.5,    1.0,   2.5,   5.0};

class Metrics {
 public:
  Metrics();

  // `method` and `route` must outlive the Metrics object (static strings or router storage).
  void observe_request(std::string_view method, std::string_view route, unsigned status, double seconds);
  void count_auth_attempt(std::string_view outcome);      // success | failure | locked | ...
  // Cache lookups; `cache` is one of kCacheNames ("token", "user", "agent_grants", "user_l2", ...).
  void count_cache(std::string_view cache, bool hit);
  void count_rate_limit_exceeded(std::string_view tier);
  // Agent capability checks, by verdict and reason (reasons are a fixed vocabulary).
  void count_agent_decision(bool allowed, std::string_view reason);
  // Webhook attempts, by what they led to: succeeded | retry | failed (the schedule ran out).
  void count_webhook_attempt(std::string_view outcome);
  void set_db_connections_active(std::int64_t n) { db_connections_active_.store(n, std::memory_order_relaxed); }
  // Several instances: whether Redis answers (-1 = not configured), and each switch to the
  // fallback ("limiter": local limits; "bus": invalidation messages may be missed).
  void set_redis_up(int up) { redis_up_.store(up, std::memory_order_relaxed); }
  void count_redis_fallback(bool bus) { (bus ? redis_fallback_bus_ : redis_fallback_limiter_).fetch_add(1, std::memory_order_relaxed); }

  std::string render_prometheus() const;

  struct Summary {
    double avg_response_time_ms = 0;
    double requests_per_second = 0;  // over the last complete second
    double cache_hit_rate = 0;       // hits / (hits + misses), 0 when no lookups
    std::uint64_t requests_total = 0;
  };
  Summary summary() const;

 private:
  struct RequestKey {
    std::string_view method;
    std::string_view route;
    unsigned status;
    bool operator==(const RequestKey&) const = default;
  };
  struct RequestKeyHash {
    std::size_t operator()(const RequestKey& k) const noexcept;
  };
  struct RequestSeries {
    std::uint64_t count = 0;
    double sum = 0;
    std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<RequestKey, RequestSeries, RequestKeyHash> requests;
    std::int64_t second = 0;           // epoch second of `this_second`
    std::uint64_t this_second = 0;
    std::uint64_t last_second = 0;     // count in second - 1
  };
  static constexpr std::size_t kShards = 16;
  Shard& my_shard();

  std::array<Shard, kShards> shards_;
  mutable std::mutex labelled_mu_;  // auth attempts and rate-limit tiers: low-rate counters
  std::map<std::string, std::uint64_t, std::less<>> auth_attempts_;
  std::map<std::string, std::uint64_t, std::less<>> rate_limit_exceeded_;
  std::map<std::string, std::uint64_t, std::less<>> agent_decisions_;  // "verdict\x1freason"
  std::map<std::string, std::uint64_t, std::less<>> webhook_attempts_;
  // The first kL1Caches are the in-process caches (their hit rate is /health's cache_hit_rate);
  // the rest are the shared L2, asked after an L1 miss.
  static constexpr std::array<std::string_view, 5> kCacheNames{"token", "user", "agent_grants", "user_l2",
                                                               "agent_grants_l2"};
  static constexpr std::size_t kL1Caches = 3;
  std::array<std::atomic<std::uint64_t>, kCacheNames.size()> cache_hits_{};
  std::array<std::atomic<std::uint64_t>, kCacheNames.size()> cache_misses_{};
  std::atomic<std::int64_t> db_connections_active_{0};
  std::atomic<int> redis_up_{-1};
  std::atomic<std::uint64_t> redis_fallback_limiter_{0};
  std::atomic<std::uint64_t> redis_fallback_bus_{0};
};

}  // namespace archon::observability
