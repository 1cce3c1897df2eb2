#include "sessions/session_service.hpp"

#include "crypto/random.hpp"
#include "identity/email_address.hpp"
#include "identity/login_throttle.hpp"
#include "webhooks/emit.hpp"
#include "sessions/refresh_rotation.hpp"

namespace archon::sessions {
namespace {

std::string sealing_context(const std::string& parent_hash) {
  return "archon-auth/refresh-child/v1|" + parent_hash;
}

std::string lockout_text(std::chrono::seconds d) {
  auto minutes = d.count() / 60;
  return minutes >= 1 ? std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes")
                      : std::to_string(d.count()) + " seconds";
}

}  // namespace

boost::asio::awaitable<Expected<SessionTokens, ApiError>> SessionService::login(LoginInput in,
                                                                                 audit::RequestInfo info) {
  const auto& idc = ctx_.config.identity;
  auto email = identity::parse_email(in.email);
  std::string normalized = identity::account_key(in.email);
  std::int64_t now = ctx_.now();

  identity::LoginThrottle throttle(ctx_.store, identity::login_limits(idc));
  auto attempt = throttle.begin(normalized, info.client_address, now);
  if (!attempt.allowed) {
    ctx_.metrics.count_auth_attempt("locked");
    ctx_.audit.record(info, "login", "locked", "anonymous", std::nullopt, {{"email_domain", normalized.substr(normalized.find('@') + 1)}});
    auto retry = std::max<std::int64_t>(1, attempt.locked_until - now);
    co_return Unexpected{ApiError::make(ErrorCode::kAuthAccountLocked, {{"retry_after_seconds", retry}})};
  }

  auto user = email ? ctx_.store.find_user_by_email(normalized) : std::nullopt;
  // The same Argon2id work whether or not the account exists, so time tells nothing.
  std::string password = std::move(in.password);
  std::optional<identity::VerifyResult> verified =
      co_await identity::verify_password(ctx_, password, user ? &user->password_hash : nullptr);
  if (!verified) {
    throttle.cancel(normalized, info.client_address, now);
    co_return Unexpected{ApiError::make(ErrorCode::kSystemServiceUnavailable, "The server is busy; retry shortly",
                                        {{"retry_after_seconds", 1}})};
  }

  if (!user || !verified->ok || !user->is_active) {
    ctx_.metrics.count_auth_attempt("failure");
    // This failure was the one that locked the pair (its reservation set the lock).
    if (user && attempt.attempts_remaining == 0 && ctx_.publish_events)
      ctx_.publish_events({webhooks::make_event("user.locked", {{"user_id", user->id},
                                                                {"scope", "address"},
                                                                {"locked_until", now + idc.lockout_duration.count()}})});
    ctx_.audit.record(info, "login", "failure", "anonymous", user ? std::optional(user->id) : std::nullopt,
                      {{"attempts_remaining", attempt.attempts_remaining}});
    co_return Unexpected{ApiError::make(
        ErrorCode::kAuthInvalidCredentials,
        {{"attempts_remaining", attempt.attempts_remaining}, {"lockout_duration", lockout_text(idc.lockout_duration)}})};
  }
  throttle.succeeded(normalized, info.client_address, now);

  if (idc.require_email_verification && !user->email_verified) {
    ctx_.audit.record(info, "login", "email_not_verified", user->id, user->id);
    co_return Unexpected{ApiError::make(ErrorCode::kUserEmailNotVerified,
                                        {{"email", "Verify your address first; POST /api/v2/auth/verify-email/resend "
                                                   "sends a new token"}})};
  }

  std::optional<std::string> rehash;
  if (verified->needs_rehash) {
    rehash = co_await identity::hash_password(ctx_, password);
  }
  std::fill(password.begin(), password.end(), '\0');

  const auto& sc = ctx_.config.sessions;
  std::int64_t lifetime = (in.remember_me ? sc.remember_me_lifetime : sc.lifetime).count();
  store::SessionRecord session;
  session.id = "sess_" + crypto::random_token(18);
  session.user_id = user->id;
  session.created_at = session.last_seen_at = now;
  session.absolute_expires_at = now + lifetime;
  session.idle_expires_at = std::min(now + sc.idle_timeout.count(), session.absolute_expires_at);
  session.remember_me = in.remember_me;
  session.client_address = info.client_address;
  session.user_agent = info.user_agent;
  session.device_info = in.device_info;
  std::string refresh = crypto::random_token(32);
  ctx_.store.create_session(session, {crypto::sha256(refresh), session.id, std::nullopt, now, session.absolute_expires_at},
                            rehash);
  user->last_login = now;

  auto access = identity::issue_access_token(ctx_, *user, session.id);
  ctx_.metrics.count_auth_attempt("success");
  ctx_.audit.record(info, "login", "success", user->id, user->id,
                    {{"session_id", session.id}, {"remember_me", in.remember_me}, {"rehashed", rehash.has_value()}});
  co_return SessionTokens{access.token, access.expires_at - access.issued_at, refresh, lifetime, session.id, *user};
}

Expected<SessionTokens, ApiError> SessionService::refresh(const std::string& presented, const audit::RequestInfo& info) {
  const auto& sc = ctx_.config.sessions;
  std::int64_t now = ctx_.now();
  std::string presented_hash = crypto::sha256(presented);
  std::string child = crypto::random_token(32);
  RefreshSuccessor successor{crypto::sha256(child), ctx_.kek.seal(child, sealing_context(presented_hash))};
  auto outcome = rotate_refresh_token(ctx_.store, presented_hash, successor, now,
                                      {sc.refresh_grace.count(), sc.idle_timeout.count()});
  using Kind = RefreshOutcome::Kind;
  switch (outcome.kind) {
    case Kind::kInvalid:
    case Kind::kSessionEnded:
      return Unexpected{ApiError::make(ErrorCode::kAuthTokenInvalid, "The refresh token is not valid",
                                       {{"refresh_token", outcome.kind == Kind::kSessionEnded ? "The session has ended"
                                                                                               : "Unknown or revoked"}})};
    case Kind::kReuseDetected:
      identity::deny_sessions(ctx_, {outcome.session_id});
      ctx_.audit.record(info, "refresh_reuse_detected", "session_revoked", "anonymous", outcome.user_id,
                        {{"session_id", outcome.session_id}});
      return Unexpected{ApiError::make(ErrorCode::kAuthRefreshTokenReused)};
    case Kind::kGraceReplay: {
      auto opened = ctx_.kek.open(outcome.replay_sealed_child, sealing_context(presented_hash));
      if (!opened) return Unexpected{ApiError::make(ErrorCode::kAuthTokenInvalid)};
      child = std::move(*opened);
      break;
    }
    case Kind::kRotated:
      break;
  }
  auto user = ctx_.store.find_user_by_id(outcome.user_id);
  if (!user || !user->is_active) return Unexpected{ApiError::make(ErrorCode::kAuthTokenInvalid)};
  auto access = identity::issue_access_token(ctx_, *user, outcome.session_id);
  ctx_.audit.record(info, "refresh", outcome.kind == Kind::kRotated ? "rotated" : "grace_replay", user->id, user->id,
                    {{"session_id", outcome.session_id}});
  return SessionTokens{access.token, access.expires_at - access.issued_at, child,
                       std::max<std::int64_t>(0, outcome.session_absolute_expires_at - now), outcome.session_id,
                       std::nullopt};
}

std::size_t SessionService::logout(const tokens::VerifiedToken& caller, const std::string& scope,
                                   const audit::RequestInfo& info) {
  boost::json::object data{{"user_id", caller.subject}, {"reason", "logout"}, {"scope", scope}};
  if (scope == "local") data["session_id"] = caller.session_id;
  auto revoked = webhooks::committing({webhooks::make_event("session.revoked", std::move(data))}, [&] {
    return ctx_.store.revoke_sessions(caller.subject, scope, caller.session_id, "logout", ctx_.now());
  });
  if (scope == "local" || scope == "global") {
    // The caller's own access token dies even if its session was already gone.
    ctx_.tokens.revocations().revoke(tokens::RevocationSubject::kJti, caller.jti,
                                     caller.expires_at + ctx_.config.tokens.leeway.count());
  }
  identity::deny_sessions(ctx_, revoked);
  ctx_.audit.record(info, "logout", "success", caller.subject, caller.subject,
                    {{"scope", scope}, {"revoked_sessions", revoked.size()}});
  return revoked.size();
}

std::vector<store::SessionRecord> SessionService::list_sessions(const std::string& user_id) {
  return ctx_.store.list_active_sessions(user_id, ctx_.now());
}

bool SessionService::revoke_session(const std::string& user_id, const std::string& session_id,
                                    const std::string& actor, const audit::RequestInfo& info) {
  const std::string reason = actor == user_id ? "user" : "admin";
  auto event = webhooks::make_event("session.revoked",
                                    {{"user_id", user_id}, {"session_id", session_id}, {"reason", reason}, {"scope", "local"}});
  if (!webhooks::committing({std::move(event)},
                            [&] { return ctx_.store.revoke_user_session(user_id, session_id, reason, ctx_.now()); }))
    return false;
  identity::deny_sessions(ctx_, {session_id});
  ctx_.audit.record(info, "session_revoked", "success", actor, user_id, {{"session_id", session_id}});
  return true;
}

std::size_t SessionService::revoke_all(const std::string& user_id, const std::string& actor,
                                      const audit::RequestInfo& info) {
  auto revoked = webhooks::committing(
      {webhooks::make_event("session.revoked", {{"user_id", user_id}, {"reason", "admin"}, {"scope", "all"}})},
      [&] { return ctx_.store.revoke_sessions(user_id, "global", "", "admin", ctx_.now()); });
  identity::deny_sessions(ctx_, revoked);
  ctx_.audit.record(info, "sessions_revoked_all", "success", actor, user_id, {{"revoked_sessions", revoked.size()}});
  return revoked.size();
}

std::optional<std::string> SessionService::revoke_by_refresh_token(const std::string& token, const std::string& actor,
                                                                  const audit::RequestInfo& info) {
  auto session = ctx_.store.revoke_session_by_refresh_token(crypto::sha256(token), ctx_.now());
  if (!session) return std::nullopt;
  identity::deny_sessions(ctx_, {*session});
  ctx_.audit.record(info, "token_revoked", "success", actor, std::nullopt, {{"kind", "refresh"}, {"session_id", *session}});
  return session;
}

}  // namespace archon::sessions
