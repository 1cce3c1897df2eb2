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

// What a rate limiter reports for meta.rate_limit and the X-RateLimit-* headers.
struct RateLimitInfo {
  std::uint64_t limit = 0;
  std::uint64_t remaining = 0;
  std::int64_t reset_epoch_seconds = 0;
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
  bool cache_hit = false;
  std::optional<RateLimitInfo> rate_limit;
};

}  // namespace archon::http
