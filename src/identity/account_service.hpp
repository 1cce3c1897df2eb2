// Accounts: register (without enumeration), email verification, password change and reset,
// and profile updates. Coroutines only where Argon2id runs on the bounded pool; no HTTP here.
// Thread-safe (state lives in the store).
#pragma once
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "core/errors.hpp"
#include "core/expected.hpp"
#include "identity/identity_context.hpp"

namespace archon::identity {

struct RegisterInput {
  std::string email;
  std::string password;
  std::string name;
  bool marketing_consent = false;
};

struct RegisterResult {
  std::string user_id;
  std::string email;
};

class AccountService {
 public:
  explicit AccountService(IdentityContext& ctx) : ctx_(ctx) {}

  boost::asio::awaitable<Expected<RegisterResult, ApiError>> register_user(RegisterInput input,
                                                                           audit::RequestInfo info);
  Expected<std::string, ApiError> verify_email(const std::string& token, const audit::RequestInfo& info);
  // Always succeeds from the caller's view (no enumeration).
  void resend_verification(const std::string& email, const audit::RequestInfo& info);
  void request_password_reset(const std::string& email, const audit::RequestInfo& info);
  boost::asio::awaitable<Expected<std::monostate, ApiError>> confirm_password_reset(std::string token,
                                                                                    std::string new_password,
                                                                                    audit::RequestInfo info);
  // Returns how many other sessions were signed out.
  boost::asio::awaitable<Expected<std::size_t, ApiError>> change_password(tokens::VerifiedToken caller,
                                                                          std::string current_password,
                                                                          std::string new_password,
                                                                          audit::RequestInfo info);
  Expected<store::UserRecord, ApiError> update_profile(const std::string& user_id, std::optional<std::string> name,
                                                      const std::optional<std::string>& preferences,
                                                      const audit::RequestInfo& info);

  // "user_" + a random UUIDv4, the spec's shape; for every way an account is created.
  static std::string new_user_id();
  // A new account's record, however it is created (registration, `archon-auth users create`):
  // a fresh id, the address as given and normalized, the trimmed name, the password's hash.
  static store::UserRecord new_account(const std::string& email, const std::string& name,
                                       const std::string& password_hash, bool email_verified, std::int64_t now);
  // Validation shared with the admin API: nullopt when acceptable, else a client-safe message.
  static std::optional<std::string> check_name(const std::string& name);
  // Names are stored without surrounding spaces, however they arrive.
  static std::string trim_name(std::string name);

 private:
  std::optional<ApiError> check_new_password(const std::string& password, const char* field) const;
  IdentityContext& ctx_;
};

}  // namespace archon::identity
