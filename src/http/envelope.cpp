#include "http/envelope.hpp"

#include <chrono>
#include <cmath>

#include "core/json_writer.hpp"

#include "core/clock.hpp"

namespace archon::http {
namespace {

boost::json::object make_meta(const RequestContext& ctx) {
  boost::json::object meta;
  meta.reserve(6);
  meta["timestamp"] = clock::now_iso8601_utc();
  meta["version"] = kApiVersion;
  meta["request_id"] = ctx.request_id;
  if (ctx.rate_limit) {
    auto reset = std::chrono::system_clock::time_point(std::chrono::seconds(ctx.rate_limit->reset_epoch_seconds));
    meta["rate_limit"] = {{"limit", ctx.rate_limit->limit},
                          {"remaining", ctx.rate_limit->remaining},
                          {"reset", clock::iso8601_utc(reset)}};
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ctx.started).count();
  meta["performance"] = {{"response_time_ms", std::round(ms * 1000.0) / 1000.0}, {"cache_hit", ctx.cache_hit()}};
  return meta;
}

}  // namespace

std::string envelope_success(const boost::json::value& data, const RequestContext& ctx,
                             const std::optional<Pagination>& pagination) {
  boost::json::object meta = make_meta(ctx);
  if (pagination) {
    std::uint64_t pages = pagination->limit ? (pagination->total + pagination->limit - 1) / pagination->limit : 0;
    meta["pagination"] = {{"page", pagination->page},
                          {"limit", pagination->limit},
                          {"total", pagination->total},
                          {"total_pages", pages},
                          {"has_next", pagination->page < pages},
                          {"has_prev", pagination->page > 1}};
  }
  boost::json::object env;
  env.reserve(4);
  env["success"] = true;
  env["data"] = data;
  env["error"] = nullptr;
  env["meta"] = std::move(meta);
  return json::write(env);
}

std::string envelope_error(const ApiError& error, const RequestContext& ctx) {
  boost::json::object err;
  err.reserve(5);
  err["code"] = error_code_name(error.code);
  err["message"] = error.message.empty() ? std::string(error_default_message(error.code)) : error.message;
  err["details"] = error.details;
  err["trace_id"] = ctx.request_id;
  err["documentation_url"] = error_documentation_url(error.code);
  boost::json::object env;
  env.reserve(4);
  env["success"] = false;
  env["data"] = nullptr;
  env["error"] = std::move(err);
  env["meta"] = make_meta(ctx);
  return json::write(env);
}

}  // namespace archon::http
