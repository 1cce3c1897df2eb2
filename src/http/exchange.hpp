// What a handler sees of one request, and how it answers: a JSON value (wrapped in the
// envelope by the dispatcher), an error, a raw body (metrics, docs) or no content.
// Used from one I/O thread at a time.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/errors.hpp"
#include "http/envelope.hpp"
#include "http/request_limiter.hpp"
#include "http/types.hpp"

namespace archon::http {

class Exchange {
 public:
  struct JsonReply {
    Status status;
    boost::json::value data;
    std::optional<Pagination> pagination;
  };
  struct RawReply {
    Status status;
    std::string content_type;
    std::string body;
  };
  struct NoContent {};
  using Outcome = std::variant<std::monostate, JsonReply, ApiError, RawReply, NoContent>;

  Exchange(const Request& request, RequestContext& context, Response& response)
      : request_(request), context_(context), response_(response) {}

  const Request& request() const { return request_; }
  RequestContext& context() { return context_; }
  // Extra response headers (Set-Cookie, Location...). The dispatcher owns the body and the
  // standard headers.
  Response& response() { return response_; }

  // A path parameter of the matched template, or "" if absent.
  std::string_view param(std::string_view name) const;
  // The validated JSON body of a json_body route.
  const boost::json::object& body() const { return body_; }
  void set_body(boost::json::object body) { body_ = std::move(body); }

  void reply(boost::json::value data, Status status = Status::ok) {
    outcome_ = JsonReply{status, std::move(data), std::nullopt};
  }
  void reply_page(boost::json::value items, Pagination pagination) {
    outcome_ = JsonReply{Status::ok, std::move(items), pagination};
  }
  void fail(ApiError error) { outcome_ = std::move(error); }
  void reply_raw(Status status, std::string content_type, std::string body) {
    outcome_ = RawReply{status, std::move(content_type), std::move(body)};
  }
  void reply_no_content() { outcome_ = NoContent{}; }

  Outcome& outcome() { return outcome_; }

  // Applies the route's principal rate limit (per_user, per_email, per_agent) to `subject`
  // once per request; a 429 error when it is used up. No-op on routes without a tier.
  std::optional<ApiError> limit_subject(std::string_view subject) {
    if (!context_.limiter || context_.rate_limit_tier.empty() || context_.subject_limited) return std::nullopt;
    context_.subject_limited = true;
    return context_.limiter->admit_subject(context_.rate_limit_tier, subject, context_);
  }

 private:
  const Request& request_;
  RequestContext& context_;
  Response& response_;
  boost::json::object body_;
  Outcome outcome_;
};

inline std::string_view Exchange::param(std::string_view name) const {
  for (const auto& [k, v] : context_.path_params)
    if (k == name) return v;
  return {};
}

}  // namespace archon::http
