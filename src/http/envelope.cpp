#include "http/envelope.hpp"

#include <chrono>
#include <cmath>

#include "core/clock.hpp"
#include "core/json_writer.hpp"

namespace archon::http {
namespace {

// The envelope is written straight into the answer's string, in the spec's key order, rather
// than assembled as a boost::json tree and serialized: that tree (and the copy of `data` it
// took) was most of the allocation on a small answer.
void write_key(std::string& out, std::string_view key) {
  out += '"';
  out += key;  // keys here are constants that need no escaping
  out += "\":";
}

void write_meta(std::string& out, const RequestContext& ctx, const std::optional<Pagination>& pagination) {
  out += "{\"timestamp\":";
  json::write_string_to(out, clock::now_iso8601_utc());
  out += ",\"version\":";
  json::write_string_to(out, kApiVersion);
  out += ",\"request_id\":";
  json::write_string_to(out, ctx.request_id);
  if (ctx.rate_limit) {
    const RateLimitInfo& rl = *ctx.rate_limit;
    auto reset = std::chrono::system_clock::time_point(std::chrono::seconds(rl.reset_epoch_seconds));
    out += ",\"rate_limit\":{";
    write_key(out, "limit");
    json::write_number_to(out, rl.limit);
    out += ',';
    write_key(out, "remaining");
    json::write_number_to(out, rl.remaining);
    out += ',';
    write_key(out, "reset");
    json::write_string_to(out, clock::iso8601_utc(reset));
    out += '}';
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ctx.started).count();
  out += ",\"performance\":{";
  write_key(out, "response_time_ms");
  json::write_number_to(out, std::round(ms * 1000.0) / 1000.0);
  out += ',';
  write_key(out, "cache_hit");
  out += ctx.cache_hit() ? "true" : "false";
  out += '}';
  if (pagination) {
    std::uint64_t pages = pagination->limit ? (pagination->total + pagination->limit - 1) / pagination->limit : 0;
    out += ",\"pagination\":{";
    write_key(out, "page");
    json::write_number_to(out, pagination->page);
    out += ',';
    write_key(out, "limit");
    json::write_number_to(out, pagination->limit);
    out += ',';
    write_key(out, "total");
    json::write_number_to(out, pagination->total);
    out += ',';
    write_key(out, "total_pages");
    json::write_number_to(out, pages);
    out += ',';
    write_key(out, "has_next");
    out += pagination->page < pages ? "true" : "false";
    out += ',';
    write_key(out, "has_prev");
    out += pagination->page > 1 ? "true" : "false";
    out += '}';
  }
  out += '}';
}

}  // namespace

std::string envelope_success(const boost::json::value& data, const RequestContext& ctx,
                             const std::optional<Pagination>& pagination) {
  std::string out;
  out.reserve(512);
  out += "{\"success\":true,\"data\":";
  json::write_to(out, data);
  out += ",\"error\":null,\"meta\":";
  write_meta(out, ctx, pagination);
  out += '}';
  return out;
}

std::string envelope_error(const ApiError& error, const RequestContext& ctx) {
  std::string out;
  out.reserve(512);
  out += "{\"success\":false,\"data\":null,\"error\":{\"code\":";
  json::write_string_to(out, error_code_name(error.code));
  out += ",\"message\":";
  json::write_string_to(out, error.message.empty() ? std::string_view(error_default_message(error.code))
                                                   : std::string_view(error.message));
  out += ",\"details\":";
  json::write_to(out, error.details);
  out += ",\"trace_id\":";
  json::write_string_to(out, ctx.request_id);
  out += ",\"documentation_url\":";
  json::write_string_to(out, error_documentation_url(error.code));
  out += "},\"meta\":";
  write_meta(out, ctx, std::nullopt);
  out += '}';
  return out;
}

}  // namespace archon::http
