#include "identity/account_service.hpp"

#include "crypto/random.hpp"
#include "identity/email_address.hpp"
#include "identity/login_throttle.hpp"
#include "identity/mail_templates.hpp"
#include "identity/password_policy.hpp"
#include "webhooks/emit.hpp"

namespace archon::identity {
namespace {

}  // namespace

store::UserRecord AccountService::new_account(const std::string& email, const std::string& name,
                                              const std::string& password_hash, bool email_verified, std::int64_t now) {
  store::UserRecord user;
  user.id = new_user_id();
  user.email = email;
  user.email_normalized = normalize_email(email);
  user.name = trim_name(name);
  user.password_hash = password_hash;
  user.email_verified = email_verified;
  user.created_at = user.updated_at = now;
  return user;
}

std::string AccountService::new_user_id() {
  std::string raw = crypto::sha256(crypto::random_token(32)).substr(0, 16);
  raw[6] = static_cast<char>((raw[6] & 0x0F) | 0x40);
  raw[8] = static_cast<char>((raw[8] & 0x3F) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "user_";
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[(static_cast<unsigned char>(raw[i]) >> 4) & 0xF];
    out += kHex[static_cast<unsigned char>(raw[i]) & 0xF];
  }
  return out;
}

namespace {

ApiError busy() {
  return ApiError::make(ErrorCode::kSystemServiceUnavailable, "The server is busy; retry shortly",
                        {{"retry_after_seconds", 1}});
}

}  // namespace

std::string AccountService::trim_name(std::string name) {
  while (!name.empty() && name.front() == ' ') name.erase(name.begin());
  while (!name.empty() && name.back() == ' ') name.pop_back();
  return name;
}

std::optional<std::string> AccountService::check_name(const std::string& name) {
  std::size_t chars = 0;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return "Must not contain control characters";
    if ((c & 0xC0) != 0x80) ++chars;
  }
  // C1 controls (U+0080..U+009F) are encoded as C2 80..C2 9F.
  for (std::size_t i = 0; i + 1 < name.size(); ++i)
    if (static_cast<unsigned char>(name[i]) == 0xC2 && static_cast<unsigned char>(name[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(name[i + 1]) <= 0x9F)
      return "Must not contain control characters";
  if (chars < 1 || chars > 100) return "Must be 1 to 100 characters";
  if (name.front() == ' ' || name.back() == ' ') return "Must not start or end with a space";
  return std::nullopt;
}

std::optional<ApiError> AccountService::check_new_password(const std::string& password, const char* field) const {
  PasswordPolicy policy;
  policy.min_chars = ctx_.config.identity.password_min_chars;
  if (auto problem = check_password(password, policy))
    return ApiError::make(ErrorCode::kValidationConstraintViolation, {{field, *problem}});
  return std::nullopt;
}

boost::asio::awaitable<Expected<RegisterResult, ApiError>> AccountService::register_user(RegisterInput in,
                                                                                         audit::RequestInfo info) {
  boost::json::object problems;
  auto email = parse_email(in.email);
  if (!email) problems["email"] = "Must be a valid email address";
  std::string name = trim_name(in.name);
  if (auto p = check_name(name)) problems["name"] = *p;
  if (auto p = check_new_password(in.password, "password")) problems["password"] = p->details.at("password");
  if (!problems.empty()) co_return Unexpected{ApiError::make(ErrorCode::kValidationConstraintViolation, problems)};

  // Hash before looking at whether the email exists: both paths cost the same.
  std::string password = std::move(in.password);
  auto hash = co_await hash_password(ctx_, password);
  std::fill(password.begin(), password.end(), '\0');
  if (!hash) co_return Unexpected{busy()};

  const bool verify = ctx_.config.identity.require_email_verification;
  std::int64_t now = ctx_.now();
  store::UserRecord user = new_account(*email, name, *hash, !verify, now);
  user.marketing_consent = in.marketing_consent;

  std::optional<store::EmailTokenRecord> token;
  std::optional<store::OutboxMessage> mail;
  if (verify) {
    std::string plain = crypto::random_token(32);
    token = store::EmailTokenRecord{crypto::sha256(plain), user.id, "verify_email", now,
                                    now + ctx_.config.identity.verification_token_lifetime.count()};
    mail = verification_mail(user.email, user.name, plain, ctx_.config.tokens.public_url);
  }
  auto registered = webhooks::make_event(
      "user.registered", {{"user_id", user.id}, {"email", user.email}, {"email_verified", user.email_verified}});
  if (!webhooks::committing({std::move(registered)}, [&] { return ctx_.store.create_user(user, {"user"}, token, mail); })) {
    if (!verify) co_return Unexpected{ApiError::make(ErrorCode::kUserAlreadyExists)};
    // No enumeration: the same answer as a new account, and the owner hears about it.
    ctx_.store.enqueue_mail(existing_account_mail(*email, ctx_.config.tokens.public_url), now);
    if (ctx_.mail_queued) ctx_.mail_queued();
    ctx_.audit.record(info, "register", "existing_email", "anonymous", std::nullopt);
    co_return RegisterResult{new_user_id(), *email};
  }
  if (ctx_.mail_queued) ctx_.mail_queued();
  ctx_.audit.record(info, "register", "success", user.id, user.id, {{"verification_required", verify}});
  co_return RegisterResult{user.id, user.email};
}

Expected<std::string, ApiError> AccountService::verify_email(const std::string& token, const audit::RequestInfo& info) {
  const std::string hash = crypto::sha256(token);
  std::vector<store::OutboxEvent> events;
  if (auto owner = ctx_.store.find_email_token_user(hash, "verify_email", ctx_.now()))
    events.push_back(webhooks::make_event("user.email_verified", {{"user_id", *owner}}));
  auto user_id = webhooks::committing(std::move(events), [&] { return ctx_.store.verify_email(hash, ctx_.now()); });
  if (!user_id) {
    ctx_.audit.record(info, "verify_email", "failure", "anonymous", std::nullopt);
    auto error = ApiError::make(ErrorCode::kAuthTokenInvalid, "The verification token is not valid",
                                {{"token", "Unknown, used or expired"}});
    error.status = 400;
    return Unexpected{std::move(error)};
  }
  ctx_.audit.record(info, "verify_email", "success", *user_id, *user_id);
  return *user_id;
}

void AccountService::resend_verification(const std::string& raw_email, const audit::RequestInfo& info) {
  auto email = parse_email(raw_email);
  if (!email) return;
  auto user = ctx_.store.find_user_by_email(normalize_email(*email));
  if (!user || user->email_verified || !user->is_active) return;
  std::int64_t now = ctx_.now();
  std::string plain = crypto::random_token(32);
  ctx_.store.issue_email_token({crypto::sha256(plain), user->id, "verify_email", now,
                                now + ctx_.config.identity.verification_token_lifetime.count()},
                               verification_mail(user->email, user->name, plain, ctx_.config.tokens.public_url),
                               /*supersede_unused=*/true);  // only the newest link works
  if (ctx_.mail_queued) ctx_.mail_queued();
  ctx_.audit.record(info, "verify_email_resend", "sent", "anonymous", user->id);
}

void AccountService::request_password_reset(const std::string& raw_email, const audit::RequestInfo& info) {
  auto email = parse_email(raw_email);
  if (!email) return;
  auto user = ctx_.store.find_user_by_email(normalize_email(*email));
  if (!user || !user->is_active) return;
  std::int64_t now = ctx_.now();
  std::string plain = crypto::random_token(32);
  ctx_.store.issue_email_token(
      {crypto::sha256(plain), user->id, "password_reset", now, now + ctx_.config.identity.reset_token_lifetime.count()},
      password_reset_mail(user->email, plain, ctx_.config.tokens.public_url), /*supersede_unused=*/true);
  if (ctx_.mail_queued) ctx_.mail_queued();
  ctx_.audit.record(info, "password_reset_requested", "sent", "anonymous", user->id);
}

boost::asio::awaitable<Expected<std::monostate, ApiError>> AccountService::confirm_password_reset(
    std::string token, std::string new_password, audit::RequestInfo info) {
  if (auto problem = check_new_password(new_password, "new_password")) co_return Unexpected{*problem};
  auto hash = co_await hash_password(ctx_, new_password);
  std::fill(new_password.begin(), new_password.end(), '\0');
  if (!hash) co_return Unexpected{busy()};
  // A reset ends every session (whoever knew the old password is signed out) and the email's
  // lockouts (the owner proved control of the mailbox).
  const std::string token_hash = crypto::sha256(token);
  std::vector<store::OutboxEvent> events;
  if (auto owner = ctx_.store.find_email_token_user(token_hash, "password_reset", ctx_.now()))
    events.push_back(webhooks::make_event("user.password_changed",
                                          {{"user_id", *owner}, {"via", "password_reset"}, {"sessions_revoked", "all"}}));
  auto result = webhooks::committing(std::move(events), [&] {
    return ctx_.store.reset_password(token_hash, {*hash, "password_reset", true}, ctx_.now());
  });
  if (!result) {
    ctx_.audit.record(info, "password_reset", "failure", "anonymous", std::nullopt);
    auto error = ApiError::make(ErrorCode::kAuthTokenInvalid, "The reset token is not valid",
                                {{"token", "Unknown, used or expired"}});
    error.status = 400;
    co_return Unexpected{std::move(error)};
  }
  deny_sessions(ctx_, result->second);
  if (auto user = ctx_.store.find_user_by_id(result->first)) {
    ctx_.store.enqueue_mail(password_changed_mail(user->email), ctx_.now());
    if (ctx_.mail_queued) ctx_.mail_queued();
  }
  ctx_.audit.record(info, "password_reset", "success", result->first, result->first,
                    {{"revoked_sessions", result->second.size()}});
  co_return std::monostate{};
}

boost::asio::awaitable<Expected<std::size_t, ApiError>> AccountService::change_password(
    tokens::VerifiedToken caller, std::string current, std::string next, audit::RequestInfo info) {
  auto user = ctx_.store.find_user_by_id(caller.subject);
  if (!user || !user->is_active) co_return Unexpected{ApiError::make(ErrorCode::kAuthTokenInvalid)};
  if (auto problem = check_new_password(next, "new_password")) co_return Unexpected{*problem};
  // A stolen access token must not become a password oracle: wrong current passwords count
  // toward the same lockout as failed logins.
  const auto& idc = ctx_.config.identity;
  LoginThrottle throttle(ctx_.store, login_limits(idc));
  auto attempt = throttle.begin(user->email_normalized, info.client_address, ctx_.now());
  if (!attempt.allowed)
    co_return Unexpected{ApiError::make(ErrorCode::kAuthAccountLocked,
                                        {{"retry_after_seconds", std::max<std::int64_t>(1, attempt.locked_until - ctx_.now())}})};
  std::string stored = user->password_hash;
  auto ok = co_await verify_password(ctx_, current, &stored);
  std::fill(current.begin(), current.end(), '\0');
  if (!ok) {
    throttle.cancel(user->email_normalized, info.client_address, ctx_.now());
    co_return Unexpected{busy()};
  }
  if (ok->ok) throttle.succeeded(user->email_normalized, info.client_address, ctx_.now());
  if (!ok->ok) {
    ctx_.audit.record(info, "password_change", "failure", caller.subject, caller.subject);
    co_return Unexpected{ApiError::make(ErrorCode::kAuthInvalidCredentials, "The current password is wrong",
                                        {{"current_password", "Does not match"}})};
  }
  auto hash = co_await hash_password(ctx_, next);
  std::fill(next.begin(), next.end(), '\0');
  if (!hash) co_return Unexpected{busy()};
  std::int64_t now = ctx_.now();
  webhooks::committing({webhooks::make_event("user.password_changed", {{"user_id", caller.subject},
                                                                      {"via", "password_change"},
                                                                      {"sessions_revoked", "others"}})},
                       [&] { ctx_.store.update_password_hash(caller.subject, *hash, now); });
  auto revoked = webhooks::committing(
      {webhooks::make_event("session.revoked",
                            {{"user_id", caller.subject}, {"reason", "password_change"}, {"scope", "others"}})},
      [&] { return ctx_.store.revoke_sessions(caller.subject, "others", caller.session_id, "password_change", now); });
  deny_sessions(ctx_, revoked);
  ctx_.store.enqueue_mail(password_changed_mail(user->email), now);
  if (ctx_.mail_queued) ctx_.mail_queued();
  ctx_.audit.record(info, "password_change", "success", caller.subject, caller.subject,
                    {{"revoked_sessions", revoked.size()}});
  co_return revoked.size();
}

Expected<store::UserRecord, ApiError> AccountService::update_profile(const std::string& user_id,
                                                                    std::optional<std::string> name,
                                                                    const std::optional<std::string>& preferences,
                                                                    const audit::RequestInfo& info) {
  if (name) {
    *name = trim_name(*name);
    if (auto p = check_name(*name)) return Unexpected{ApiError::make(ErrorCode::kValidationConstraintViolation, {{"name", *p}})};
  }
  ctx_.store.update_profile(user_id, name, preferences, ctx_.now());
  auto user = ctx_.store.find_user_by_id(user_id);
  if (!user) return Unexpected{ApiError::make(ErrorCode::kUserNotFound)};
  ctx_.audit.record(info, "profile_update", "success", user_id, user_id,
                    {{"name_changed", name.has_value()}, {"preferences_changed", preferences.has_value()}});
  return *user;
}

}  // namespace archon::identity
