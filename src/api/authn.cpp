#include "api/authn.hpp"

#include <algorithm>

#include "api/caller_auth.hpp"
#include "api/resource_json.hpp"
#include "core/strict_json.hpp"
#include "http/client_address.hpp"

namespace archon::api {

std::optional<ApiError> limit_unauthenticated(http::Exchange& ex) {
  return ex.limit_subject("unauthenticated:" + http::address_limit_key(ex.context().client_address));
}

Expected<std::shared_ptr<const tokens::VerifiedToken>, ApiError> require_user(http::Exchange& ex,
                                                                              const Services& svc) {
  std::string_view token = bearer_token(ex.request());
  auto challenge = [&](const char* error) {
    ex.response().set(http::bhttp::field::www_authenticate,
                      std::string("Bearer realm=\"archon-auth\", error=\"") + error + "\"");
  };
  if (token.empty()) {
    if (auto limited = limit_unauthenticated(ex)) return Unexpected{std::move(*limited)};
    challenge("invalid_request");
    return Unexpected{ApiError::make(ErrorCode::kAuthTokenInvalid, "Authentication required",
                                     {{"authorization", "Send Authorization: Bearer <access token>"}})};
  }
  auto verified = svc.token_service->verify(token, tokens::TokenKind::kAccess);
  if (!verified) {
    if (auto limited = limit_unauthenticated(ex)) return Unexpected{std::move(*limited)};
    challenge("invalid_token");
    if (verified.error() == tokens::TokenError::kExpired) return Unexpected{ApiError::make(ErrorCode::kAuthTokenExpired)};
    return Unexpected{ApiError::make(ErrorCode::kAuthTokenInvalid)};
  }
  note_token_cache(ex, svc, verified->cache_hit);
  if (auto limited = ex.limit_subject(verified->token->subject)) return Unexpected{std::move(*limited)};
  return verified->token;
}

void note_token_cache(http::Exchange& ex, const Services& svc, bool hit) {
  ex.context().note_cache(hit);
  svc.metrics->count_cache("token", hit);
}

std::optional<store::UserRecord> load_user(http::Exchange& ex, const Services& svc, const std::string& user_id) {
  bool hit = false;
  auto record = svc.user_cache->find_user(user_id, hit);
  ex.context().note_cache(hit);  // cache_hits_total is counted by the cache itself
  return record;
}

std::optional<ApiError> require_permission(http::Exchange& ex, const Services& svc, const tokens::VerifiedToken& user,
                                           std::string_view permission) {
  auto record = load_user(ex, svc, user.subject);
  bool allowed = record && record->is_active &&
                 std::find(record->permissions.begin(), record->permissions.end(), permission) !=
                     record->permissions.end();
  if (allowed) return std::nullopt;
  return ApiError::make(ErrorCode::kAuthInsufficientPermissions, {{"required_permission", permission}});
}

std::function<std::optional<ApiError>(http::Exchange&)> bearer_required(const Services& svc) {
  return [svc](http::Exchange& ex) -> std::optional<ApiError> {
    auto user = require_user(ex, svc);
    if (!user) return user.error();
    return std::nullopt;
  };
}

audit::RequestInfo request_info(http::Exchange& ex) {
  auto ua = ex.request().find(http::bhttp::field::user_agent);
  std::string agent = ua == ex.request().end() ? std::string() : std::string(ua->value().substr(0, 512));
  // Cut on a character boundary and keep only valid UTF-8: it is stored and echoed in JSON.
  while (!agent.empty() && (static_cast<unsigned char>(agent.back()) & 0xC0) == 0x80) agent.pop_back();
  if (!agent.empty() && (static_cast<unsigned char>(agent.back()) & 0x80)) agent.pop_back();
  if (!json::parse_strict("\"" + agent + "\"").has_value())
    agent.erase(std::remove_if(agent.begin(), agent.end(), [](char c) {
                  auto u = static_cast<unsigned char>(c);
                  return u >= 0x80 || u < 0x20 || c == '"' || c == '\\';
                }),
                agent.end());
  return {ex.context().request_id, ex.context().client_address, std::move(agent)};
}

}  // namespace archon::api

#include <charconv>

#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse_query.hpp>

namespace archon::api {

Expected<PageQuery, ApiError> parse_page_query(std::string_view target, std::map<std::string, std::string>* rest,
                                               const std::vector<std::string>& allowed) {
  PageQuery out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  // A NUL-terminated copy: Boost.URL 1.81's parse_query reads its input with strlen (ASan
  // caught it reading past the request target), so never hand it a view into a larger buffer.
  const std::string query(target.substr(q + 1));
  auto params = boost::urls::parse_query(query);
  if (!params) return Unexpected{ApiError::make(ErrorCode::kValidationInvalidFormat, {{"query", "Malformed query string"}})};
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  boost::json::object problems;
  auto number = [&](const std::string& key, const std::string& value, std::int64_t min, std::int64_t max,
                    std::int64_t& target_value) {
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || p != value.data() + value.size()) problems[key] = "Must be an integer";
    else if (v < min || v > max) problems[key] = "Must be between " + std::to_string(min) + " and " + std::to_string(max);
    else target_value = v;
  };
  std::map<std::string, std::string> seen;
  for (auto p : *params) {
    std::string key = p.key.decode(opts), value = p.value.decode(opts);
    if (seen.count(key)) {
      problems[key] = "Must appear once";
      continue;
    }
    seen[key] = value;
    if (key == "page") number(key, value, 1, 1'000'000, out.page);
    else if (key == "limit") number(key, value, 1, 100, out.limit);
    else if (rest && std::find(allowed.begin(), allowed.end(), key) != allowed.end()) (*rest)[key] = value;
    else problems[key] = "Unknown query parameter";
  }
  if (!problems.empty()) return Unexpected{ApiError::make(ErrorCode::kValidationInvalidFormat, std::move(problems))};
  return out;
}

http::Pagination pagination(const PageQuery& p, std::int64_t total) {
  return {static_cast<std::uint64_t>(p.page), static_cast<std::uint64_t>(p.limit), static_cast<std::uint64_t>(total)};
}

void reply_audit_page(http::Exchange& ex, const Services& svc, const store::AuditQuery& query) {
  auto [events, total] = svc.audit->list(query);
  boost::json::array items;
  for (const auto& e : events) items.push_back(audit_event_json(e));
  ex.reply_page(std::move(items), http::Pagination{static_cast<std::uint64_t>(query.page),
                                                   static_cast<std::uint64_t>(query.limit),
                                                   static_cast<std::uint64_t>(total)});
}

}  // namespace archon::api
