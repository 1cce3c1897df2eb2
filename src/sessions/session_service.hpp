// Log in, refresh with rotation and reuse detection, log out, and session management.
// Coroutines only because password hashing runs on the bounded pool; no HTTP in here.
// Thread-safe (state lives in the store).
#pragma once
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "core/errors.hpp"
#include "core/expected.hpp"
#include "identity/identity_context.hpp"

namespace archon::sessions {

struct LoginInput {
  std::string email;
  std::string password;
  bool remember_me = false;
  std::string device_info = "{}";  // JSON object text
};

struct SessionTokens {
  std::string access_token;
  std::int64_t expires_in = 0;
  std::string refresh_token;
  std::int64_t refresh_max_age = 0;  // seconds, for the cookie
  std::string session_id;
  std::optional<store::UserRecord> user;
};

class SessionService {
 public:
  explicit SessionService(identity::IdentityContext& ctx) : ctx_(ctx) {}

  boost::asio::awaitable<Expected<SessionTokens, ApiError>> login(LoginInput input, audit::RequestInfo info);
  Expected<SessionTokens, ApiError> refresh(const std::string& presented, const audit::RequestInfo& info);
  // scope: local | others | global. Returns how many sessions ended.
  std::size_t logout(const tokens::VerifiedToken& caller, const std::string& scope, const audit::RequestInfo& info);
  // The user's live sessions, newest first.
  std::vector<store::SessionRecord> list_sessions(const std::string& user_id);
  // RFC 7009 for an opaque refresh token: ends the session it belongs to (its whole family), at
  // once on every instance, audited under `actor`. The session id, or nullopt when unknown.
  // An administrator ends every session of a user; returns how many were live.
  std::size_t revoke_all(const std::string& user_id, const std::string& actor, const audit::RequestInfo& info);
  std::optional<std::string> revoke_by_refresh_token(const std::string& token, const std::string& actor,
                                                     const audit::RequestInfo& info);
  // False when the session is not the user's (or not active): the caller answers 404.
  bool revoke_session(const std::string& user_id, const std::string& session_id, const std::string& actor,
                      const audit::RequestInfo& info);

 private:
  identity::IdentityContext& ctx_;
};

}  // namespace archon::sessions
