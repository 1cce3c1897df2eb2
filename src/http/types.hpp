// The HTTP message types and per-request context shared by the router, dispatcher and handlers.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace archon::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;
using Verb = bhttp::verb;
using Status = bhttp::status;

class RequestLimiter;

// What a rate limiter reports for meta.rate_limit and the rate-limit headers: the most
// constraining limit the request met. The views point into the limiter's configuration.
struct RateLimitInfo {
  std::uint64_t limit = 0;      // requests allowed at once from a full bucket (the burst)
  std::uint64_t remaining = 0;
  std::int64_t reset_epoch_seconds = 0;  // when the bucket is full again
  std::int64_t reset_after_seconds = 0;
  std::string_view policy;      // X-RateLimit-Policy: "1000;w=60" (";burst=2000" when set)
  std::string_view name;        // the tier's short name for the IETF RateLimit fields: "login"
  std::uint64_t quota = 0;      // requests per window
  std::int64_t window_seconds = 0;
};

// State of one request as it moves through the pipeline. Owned by the connection; lives until
// the response is written. Not shared between threads.
struct RequestContext {
  std::string request_id;
  std::string client_address;  // the peer address (no port)
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // The matched route's template ("/api/v2/users/{id}"), or "unmatched". Points into the router
  // (or a string literal), so it outlives the request.
  std::string_view route_template = "unmatched";
  std::vector<std::pair<std::string_view, std::string>> path_params;
  // Cache lookups made for this request; meta.performance.cache_hit is true only when every
  // lookup hit (the answer needed no store read the cache could have saved).
  std::uint16_t cache_hits = 0;
  std::uint16_t cache_misses = 0;
  void note_cache(bool hit) { ++(hit ? cache_hits : cache_misses); }
  bool cache_hit() const { return cache_hits > 0 && cache_misses == 0; }
  std::optional<RateLimitInfo> rate_limit;
  // Set by the dispatcher for routes with a rate-limit tier; see Exchange::limit_subject.
  const RequestLimiter* limiter = nullptr;
  std::string_view rate_limit_tier;
  bool subject_limited = false;
  bool address_limited = false;  // the route's address limits admitted this request
};

}  // namespace archon::http
