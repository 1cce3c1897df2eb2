#include "observability/metrics.hpp"

#include <cstdio>
#include <functional>
#include <tuple>

namespace archon::observability {
namespace {

std::int64_t epoch_second() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Label values are route templates and fixed names, but escape per the exposition format anyway.
std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string fmt_double(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

// Bucket bounds print as written in kLatencyBuckets ("0.0005"), not with float noise.
std::string fmt_bucket(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

}  // namespace

std::size_t Metrics::RequestKeyHash::operator()(const RequestKey& k) const noexcept {
  std::size_t h = std::hash<std::string_view>{}(k.route);
  h ^= std::hash<std::string_view>{}(k.method) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= k.status + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

Metrics::Metrics() {
  for (const char* o : {"success", "failure", "locked"}) auth_attempts_[o] = 0;
}

Metrics::Shard& Metrics::my_shard() {
  static std::atomic<std::size_t> next{0};
  thread_local std::size_t index = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shards_[index];
}

void Metrics::observe_request(std::string_view method, std::string_view route, unsigned status, double seconds) {
  Shard& s = my_shard();
  std::int64_t now = epoch_second();
  std::lock_guard lock(s.mu);
  auto& series = s.requests[RequestKey{method, route, status}];
  ++series.count;
  series.sum += seconds;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i)
    if (seconds <= kLatencyBuckets[i]) ++series.buckets[i];
  if (now != s.second) {
    s.last_second = now == s.second + 1 ? s.this_second : 0;
    s.this_second = 0;
    s.second = now;
  }
  ++s.this_second;
}

void Metrics::count_auth_attempt(std::string_view outcome) {
  std::lock_guard lock(labelled_mu_);
  auto it = auth_attempts_.find(outcome);
  if (it == auth_attempts_.end()) it = auth_attempts_.emplace(std::string(outcome), 0).first;
  ++it->second;
}

void Metrics::count_cache(std::string_view cache, bool hit) {
  for (std::size_t i = 0; i < kCacheNames.size(); ++i)
    if (kCacheNames[i] == cache) {
      (hit ? cache_hits_ : cache_misses_)[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
}

void Metrics::count_rate_limit_exceeded(std::string_view tier) {
  std::lock_guard lock(labelled_mu_);
  auto it = rate_limit_exceeded_.find(tier);
  if (it == rate_limit_exceeded_.end()) it = rate_limit_exceeded_.emplace(std::string(tier), 0).first;
  ++it->second;
}

void Metrics::count_agent_decision(bool allowed, std::string_view reason) {
  std::string key = std::string(allowed ? "allowed" : "denied") + '\x1f' + std::string(reason.substr(0, 64));
  std::lock_guard lock(labelled_mu_);
  ++agent_decisions_[key];
}

void Metrics::count_webhook_attempt(std::string_view outcome) {
  std::lock_guard lock(labelled_mu_);
  auto it = webhook_attempts_.find(outcome);
  if (it == webhook_attempts_.end()) it = webhook_attempts_.emplace(std::string(outcome), 0).first;
  ++it->second;
}

std::string Metrics::render_prometheus() const {
  // Merge shards; std::map gives a stable order for readers and tests.
  std::map<std::tuple<std::string_view, std::string_view, unsigned>, RequestSeries> merged;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mu);
    for (const auto& [k, v] : s.requests) {
      auto& m = merged[{k.method, k.route, k.status}];
      m.count += v.count;
      m.sum += v.sum;
      for (std::size_t i = 0; i < v.buckets.size(); ++i) m.buckets[i] += v.buckets[i];
    }
  }
  std::string out;
  out.reserve(4096 + merged.size() * 1200);
  out += "# HELP http_request_duration_seconds Time to answer an HTTP request, by route template.\n";
  out += "# TYPE http_request_duration_seconds histogram\n";
  for (const auto& [k, v] : merged) {
    std::string labels = "method=\"" + escape_label(std::get<0>(k)) + "\",route=\"" + escape_label(std::get<1>(k)) +
                         "\",status=\"" + std::to_string(std::get<2>(k)) + "\"";
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i)
      out += "http_request_duration_seconds_bucket{" + labels + ",le=\"" + fmt_bucket(kLatencyBuckets[i]) + "\"} " +
             std::to_string(v.buckets[i]) + "\n";
    out += "http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(v.count) + "\n";
    out += "http_request_duration_seconds_sum{" + labels + "} " + fmt_double(v.sum) + "\n";
    out += "http_request_duration_seconds_count{" + labels + "} " + std::to_string(v.count) + "\n";
  }
  out += "# HELP http_requests_total HTTP requests answered, by route template.\n";
  out += "# TYPE http_requests_total counter\n";
  for (const auto& [k, v] : merged)
    out += "http_requests_total{method=\"" + escape_label(std::get<0>(k)) + "\",route=\"" +
           escape_label(std::get<1>(k)) + "\",status=\"" + std::to_string(std::get<2>(k)) + "\"} " +
           std::to_string(v.count) + "\n";
  {
    std::lock_guard lock(labelled_mu_);
    out += "# HELP auth_attempts_total Password authentication attempts, by outcome.\n";
    out += "# TYPE auth_attempts_total counter\n";
    for (const auto& [o, n] : auth_attempts_)
      out += "auth_attempts_total{outcome=\"" + escape_label(o) + "\"} " + std::to_string(n) + "\n";
    out += "# HELP rate_limit_exceeded_total Requests refused by a rate limit, by tier.\n";
    out += "# TYPE rate_limit_exceeded_total counter\n";
    for (const auto& [t, n] : rate_limit_exceeded_)
      out += "rate_limit_exceeded_total{tier=\"" + escape_label(t) + "\"} " + std::to_string(n) + "\n";
    out += "# HELP agent_capability_decisions_total Agent capability checks, by verdict and reason.\n";
    out += "# TYPE agent_capability_decisions_total counter\n";
    for (const auto& [k, n] : agent_decisions_) {
      auto sep = k.find('\x1f');
      out += "agent_capability_decisions_total{verdict=\"" + escape_label(k.substr(0, sep)) + "\",reason=\"" +
             escape_label(k.substr(sep + 1)) + "\"} " + std::to_string(n) + "\n";
    }
    out += "# HELP webhook_delivery_attempts_total Webhook delivery attempts, by outcome (succeeded, retry, failed).\n";
    out += "# TYPE webhook_delivery_attempts_total counter\n";
    for (const auto& [o, n] : webhook_attempts_)
      out += "webhook_delivery_attempts_total{outcome=\"" + escape_label(o) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP cache_hits_total Cache lookups, by cache (L1; the shared L2 as *_l2) and result.\n";
  out += "# TYPE cache_hits_total counter\n";
  for (std::size_t i = 0; i < kCacheNames.size(); ++i) {
    std::string cache(kCacheNames[i]);
    out += "cache_hits_total{cache=\"" + cache + "\",result=\"hit\"} " + std::to_string(cache_hits_[i].load()) + "\n";
    out += "cache_hits_total{cache=\"" + cache + "\",result=\"miss\"} " + std::to_string(cache_misses_[i].load()) + "\n";
  }
  out += "# HELP db_connections_active Open database connections.\n";
  out += "# TYPE db_connections_active gauge\n";
  out += "db_connections_active " + std::to_string(db_connections_active_.load()) + "\n";
  if (int up = redis_up_.load(); up >= 0) {
    out += "# HELP redis_up Whether Redis (shared limits, invalidation) answers.\n";
    out += "# TYPE redis_up gauge\n";
    out += "redis_up " + std::to_string(up) + "\n";
    out += "# HELP redis_fallback_total Switches to the fallback after a Redis failure: local rate limits, or database reads instead of memory.\n";
    out += "# TYPE redis_fallback_total counter\n";
    out += "redis_fallback_total{component=\"limiter\"} " + std::to_string(redis_fallback_limiter_.load()) + "\n";
    out += "redis_fallback_total{component=\"bus\"} " + std::to_string(redis_fallback_bus_.load()) + "\n";
  }
  return out;
}

Metrics::Summary Metrics::summary() const {
  Summary sum;
  double total_seconds = 0;
  std::int64_t now = epoch_second();
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mu);
    for (const auto& [k, v] : s.requests) {
      sum.requests_total += v.count;
      total_seconds += v.sum;
    }
    if (s.second == now) sum.requests_per_second += static_cast<double>(s.last_second);
    else if (s.second == now - 1) sum.requests_per_second += static_cast<double>(s.this_second);
  }
  if (sum.requests_total) sum.avg_response_time_ms = total_seconds * 1000.0 / static_cast<double>(sum.requests_total);
  std::uint64_t h = 0, m = 0;
  for (std::size_t i = 0; i < kL1Caches; ++i) h += cache_hits_[i].load(), m += cache_misses_[i].load();
  if (h + m) sum.cache_hit_rate = static_cast<double>(h) / static_cast<double>(h + m);
  return sum;
}

}  // namespace archon::observability
