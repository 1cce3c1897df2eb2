// Login throttling and lockout (NIST SP 800-63B §5.2.2): consecutive failures per (email, client
// address) lock that pair for a while; failures per email across every address, within a window,
// lock the account. An attempt is reserved as a failure before the password is checked, so
// parallel guesses can never exceed the limits; a success takes it back, and an attempt whose
// password was never checked (the hashing pool was full) is given back whole, so load cannot
// lock anyone out. The rules are plain functions of the stored counters (unit-tested with no
// database); LoginThrottle runs them in the store's one-transaction primitive.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "store/identity_store.hpp"

namespace archon::identity {

struct LoginLimits {
  int pair_failures = 5;  // consecutive failures per (email, client address) ...
  std::int64_t pair_lock_seconds = 900;  // ... lock the pair this long
  int account_failures = 100;  // failures per email across all addresses ...
  std::int64_t account_window_seconds = 3600;  // ... within this window ...
  std::int64_t account_lock_seconds = 3600;  // ... lock the account this long
};
LoginLimits login_limits(const archon::IdentityConfig& config);

struct LoginAttempt {
  bool allowed = false;        // false: locked; the password must not be checked
  int attempts_remaining = 0;  // for the pair, after this attempt if it fails
  std::int64_t locked_until = 0;
};

struct AttemptDecision {
  LoginAttempt attempt;
  std::optional<store::LoginCounters> next;  // nullopt: nothing changes (a locked attempt)
};
AttemptDecision decide_attempt(const store::LoginCounters& stored, const LoginLimits& limits, std::int64_t now);
// The pair's count is cleared and the reserved account failure given back.
store::LoginCounters after_success(const store::LoginCounters& stored);
// The reservation is given back whole, with any lock it alone set (one is only reserved while
// unlocked, so a lock now is its own).
store::LoginCounters after_cancel(const store::LoginCounters& stored);

class LoginThrottle {
 public:
  LoginThrottle(store::IdentityStore& store, LoginLimits limits) : store_(store), limits_(limits) {}
  LoginAttempt begin(const std::string& email_normalized, const std::string& client_address, std::int64_t now);
  void succeeded(const std::string& email_normalized, const std::string& client_address, std::int64_t now);
  void cancel(const std::string& email_normalized, const std::string& client_address, std::int64_t now);

 private:
  store::IdentityStore& store_;
  LoginLimits limits_;
};

}  // namespace archon::identity
