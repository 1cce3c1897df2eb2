// The account journey's public endpoints under /api/v2/auth: register, verify-email (and
// resend), login, refresh, logout, password-reset (and confirm).
#include "api/authn.hpp"
#include "api/resource_json.hpp"
#include "api/route_table.hpp"
#include "core/json_writer.hpp"
#include "identity/email_address.hpp"
#include "http/exchange.hpp"

namespace archon::api {
namespace {

using http::FieldType;
using Task = boost::asio::awaitable<void>;

std::string str(const boost::json::object& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}
bool flag(const boost::json::object& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->value().is_bool() && it->value().get_bool();
}

// The email fields of login, resend and reset: text with a control character is refused as
// input (400) before any account is looked up or counted.
std::optional<ApiError> email_format_problem(const boost::json::object& body) {
  if (!identity::has_control_character(str(body, "email"))) return std::nullopt;
  return ApiError::make(ErrorCode::kValidationInvalidFormat, {{"email", "Must not contain control characters"}});
}

constexpr std::string_view kCookiePath = "/api/v2/auth";

void set_refresh_cookie(http::Exchange& ex, const std::string& token, std::int64_t max_age) {
  ex.response().set(http::bhttp::field::set_cookie, "refresh_token=" + token + "; Path=" + std::string(kCookiePath) +
                                                        "; Max-Age=" + std::to_string(max_age) +
                                                        "; HttpOnly; Secure; SameSite=Strict");
}
void clear_refresh_cookie(http::Exchange& ex) {
  ex.response().set(http::bhttp::field::set_cookie, "refresh_token=; Path=" + std::string(kCookiePath) +
                                                        "; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
}

// The refresh_token cookie's value, if the request has one.
std::string cookie_refresh_token(const http::Request& req) {
  auto it = req.find(http::bhttp::field::cookie);
  if (it == req.end()) return {};
  std::string_view v(it->value().data(), it->value().size());
  while (!v.empty()) {
    auto semi = v.find(';');
    std::string_view part = v.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.substr(0, 14) == "refresh_token=") return std::string(part.substr(14));
    if (semi == std::string_view::npos) break;
    v.remove_prefix(semi + 1);
  }
  return {};
}

boost::json::object session_json(const sessions::SessionTokens& t, bool include_refresh) {
  boost::json::object data{{"access_token", t.access_token},
                           {"token_type", "Bearer"},
                           {"expires_in", t.expires_in},
                           {"session_id", t.session_id}};
  if (t.user) data["user"] = user_json(*t.user);
  if (include_refresh) data["refresh_token"] = t.refresh_token;
  return data;
}


Task register_account(http::Exchange& ex, const Services& svc, const CallerToken&) {
  const auto& body = ex.body();
  if (!flag(body, "terms_accepted")) {
    ex.fail(ApiError::make(ErrorCode::kValidationConstraintViolation, {{"terms_accepted", "Must be true"}}));
    co_return;
  }
  identity::RegisterInput in{str(body, "email"), str(body, "password"), str(body, "name"),
                             flag(body, "marketing_consent")};
  // Arguments are named locals, never temporaries in the co_await (GCC 12 frees those twice).
  audit::RequestInfo info = request_info(ex);
  auto r = co_await svc.accounts->register_user(std::move(in), std::move(info));
  if (!r) {
    ex.fail(r.error());
    co_return;
  }
  ex.reply(boost::json::object{{"user_id", r->user_id},
                               {"email", r->email},
                               {"email_verification_sent", svc.config->identity.require_email_verification}},
           http::Status::created);
}

Task verify_email(http::Exchange& ex, const Services& svc, const CallerToken&) {
  auto r = svc.accounts->verify_email(str(ex.body(), "token"), request_info(ex));
  if (!r) ex.fail(r.error());
  else ex.reply(boost::json::object{{"email_verified", true}});
  co_return;
}

// The email-addressed requests that send mail or count attempts: refused as input when the
// email holds a control character, then limited per account (whatever the address).
std::optional<ApiError> email_request_refused(http::Exchange& ex) {
  if (auto bad = email_format_problem(ex.body())) return bad;
  return ex.limit_subject(identity::account_key(str(ex.body(), "email")));
}

Task resend_verification(http::Exchange& ex, const Services& svc, const CallerToken&) {
  if (auto refused = email_request_refused(ex)) {
    ex.fail(std::move(*refused));
    co_return;
  }
  svc.accounts->resend_verification(str(ex.body(), "email"), request_info(ex));
  ex.reply(boost::json::object{{"accepted", true}}, http::Status::accepted);
}

Task login(http::Exchange& ex, const Services& svc, const CallerToken&) {
  const auto& body = ex.body();
  // per_user: the account being logged into, whichever address the attempts come from.
  if (auto refused = email_request_refused(ex)) {
    ex.fail(std::move(*refused));
    co_return;
  }
  sessions::LoginInput in{str(body, "email"), str(body, "password"), flag(body, "remember_me"), "{}"};
  if (auto d = body.find("device_info"); d != body.end() && d->value().is_object())
    in.device_info = json::write(d->value());
  audit::RequestInfo info = request_info(ex);
  auto r = co_await svc.sessions->login(std::move(in), std::move(info));
  if (!r) {
    if (r.error().code == ErrorCode::kAuthAccountLocked) {
      auto retry = r.error().details.if_contains("retry_after_seconds");
      ex.response().set(http::bhttp::field::retry_after, retry ? json::write(*retry) : "1");
    }
    ex.fail(r.error());
    co_return;
  }
  set_refresh_cookie(ex, r->refresh_token, r->refresh_max_age);
  ex.reply(session_json(*r, flag(body, "return_refresh_token")));
}

// scheme://host[:port] of a URL (its origin, as a browser sends it in Origin).
std::string_view origin_of(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  return url.substr(0, url.find('/', scheme_end + 3));
}

// The refresh token of a cookie-only request, if its origin is trusted (one of
// cors.allow_origins, or the server's own public origin: the admin console it serves): a cookie
// rides along with any cross-site request (CSRF). The error when there is none, or the origin
// is foreign.
Expected<std::string, ApiError> cookie_token(http::Exchange& ex, const Services& svc) {
  std::string token = cookie_refresh_token(ex.request());
  if (token.empty())
    // No credential at all: the request is well formed (the body is optional), it just does not
    // authenticate, like any other request without its token.
    return Unexpected{ApiError::make(ErrorCode::kAuthTokenInvalid, "No refresh token was sent",
                                     {{"refresh_token", "Send the refresh_token cookie or a refresh_token field"}})};
  auto origin = ex.request().find(http::bhttp::field::origin);
  const auto& allowed = svc.config->cors.allow_origins;
  std::string_view own = origin_of(svc.tokens_config->public_url);
  if (origin == ex.request().end() ||
      (std::find(allowed.begin(), allowed.end(), std::string(origin->value())) == allowed.end() &&
       (own.empty() || origin->value() != own)))
    return Unexpected{ApiError::make(ErrorCode::kAuthOriginNotAllowed, {{"origin", "Must be one of cors.allow_origins"}})};
  return token;
}

Task refresh(http::Exchange& ex, const Services& svc, const CallerToken&) {
  static const http::BodySchema kSchema{{{"refresh_token", FieldType::kString, false, {}, {}, 0, 256},
                                         {"return_refresh_token", FieldType::kBoolean}}};
  boost::json::object body;
  if (!ex.request().body().empty()) {  // the body is optional: a cookie alone is a valid request
    auto parsed = http::read_json_body(ex.request(), &kSchema);
    if (!parsed) {
      ex.fail(parsed.error());
      co_return;
    }
    body = std::move(*parsed);
  }
  std::string token = str(body, "refresh_token");
  bool from_cookie = token.empty();
  if (from_cookie) {
    auto cookie = cookie_token(ex, svc);
    if (!cookie) {
      ex.fail(cookie.error());
      co_return;
    }
    token = std::move(*cookie);
  }
  auto r = svc.sessions->refresh(token, request_info(ex));
  if (!r) {
    if (from_cookie) clear_refresh_cookie(ex);
    ex.fail(r.error());
    co_return;
  }
  set_refresh_cookie(ex, r->refresh_token, r->refresh_max_age);
  ex.reply(session_json(*r, !from_cookie || flag(body, "return_refresh_token")));
}

Task logout(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  std::string scope = "local";
  if (!ex.request().body().empty()) {
    static const http::BodySchema kSchema{{{"scope", FieldType::kString, false, {}, {}, 1, 16}}};
    auto parsed = http::read_json_body(ex.request(), &kSchema);
    if (!parsed) {
      ex.fail(parsed.error());
      co_return;
    }
    if (auto s = str(*parsed, "scope"); !s.empty()) scope = s;
  }
  if (scope != "local" && scope != "others" && scope != "global") {
    ex.fail(ApiError::make(ErrorCode::kValidationConstraintViolation, {{"scope", "Must be local, others or global"}}));
    co_return;
  }
  auto n = svc.sessions->logout(*caller, scope, request_info(ex));
  if (scope != "others") clear_refresh_cookie(ex);
  ex.reply(boost::json::object{{"revoked_sessions", n}});
}

Task request_password_reset(http::Exchange& ex, const Services& svc, const CallerToken&) {
  if (auto refused = email_request_refused(ex)) {
    ex.fail(std::move(*refused));
    co_return;
  }
  svc.accounts->request_password_reset(str(ex.body(), "email"), request_info(ex));
  ex.reply(boost::json::object{{"accepted", true}}, http::Status::accepted);
}

Task confirm_password_reset(http::Exchange& ex, const Services& svc, const CallerToken&) {
  std::string token = str(ex.body(), "token"), new_password = str(ex.body(), "new_password");
  audit::RequestInfo info = request_info(ex);
  auto r = co_await svc.accounts->confirm_password_reset(std::move(token), std::move(new_password), std::move(info));
  if (!r) ex.fail(r.error());
  else ex.reply(boost::json::object{{"password_reset", true}});
}

}  // namespace

void register_auth_routes(http::Router& router, const Services& svc) {
  using http::Verb;
  const http::FieldSpec email{"email", FieldType::kString, true, {}, {}, 1, 320};
  const http::FieldSpec password{"password", FieldType::kString, true, {}, {}, 0, 4096};
  auto registration = json_body({email, password, {"name", FieldType::kString, true, {}, {}, 0, 400},
                                 {"terms_accepted", FieldType::kBoolean, true},
                                 {"marketing_consent", FieldType::kBoolean}});
  auto token_only = json_body({{"token", FieldType::kString, true, {}, {}, 1, 256}});
  auto email_only = json_body({email});
  auto credentials = json_body({email, password, {"remember_me", FieldType::kBoolean},
                                {"device_info", FieldType::kObject, false, {}, {}, {}, {}, 4096},
                                {"return_refresh_token", FieldType::kBoolean}});
  auto new_password = json_body({{"token", FieldType::kString, true, {}, {}, 1, 256},
                                 {"new_password", FieldType::kString, true, {}, {}, 0, 4096}});
  add_routes(router, svc,
             {
                 {Verb::post, "/api/v2/auth/register", tier::kRegister, access::kAnyone, register_account, registration},
                 // a 256-bit token: per address, generously
                 {Verb::post, "/api/v2/auth/verify-email", tier::kUserByAddress, access::kTokenHolder, verify_email,
                  token_only},
                 // sends mail: per address and per email
                 {Verb::post, "/api/v2/auth/verify-email/resend", tier::kReset, access::kAnyone, resend_verification,
                  email_only},
                 {Verb::post, "/api/v2/auth/login", tier::kLogin, access::kAnyone, login, credentials},
                 {Verb::post, "/api/v2/auth/refresh", tier::kUserByAddress, access::kTokenHolder, refresh},
                 {Verb::post, "/api/v2/auth/logout", tier::kUser, access::kUser, logout},
                 {Verb::post, "/api/v2/auth/password-reset", tier::kReset, access::kAnyone, request_password_reset,
                  email_only},
                 {Verb::post, "/api/v2/auth/password-reset/confirm", tier::kResetByAddress, access::kTokenHolder,
                  confirm_password_reset, new_password},
             });
}

}  // namespace archon::api
