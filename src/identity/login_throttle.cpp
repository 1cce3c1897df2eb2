#include "identity/login_throttle.hpp"

#include <algorithm>

namespace archon::identity {

LoginLimits login_limits(const IdentityConfig& c) {
  return {c.lockout_failures, c.lockout_duration.count(), c.account_failures_per_hour, 3600, 3600};
}

AttemptDecision decide_attempt(const store::LoginCounters& stored, const LoginLimits& limits, std::int64_t now) {
  AttemptDecision d;
  if (stored.pair_locked_until > now || stored.account_locked_until > now) {
    d.attempt.locked_until = std::max(stored.pair_locked_until, stored.account_locked_until);
    return d;  // locked: not counted, nothing written
  }
  store::LoginCounters next = stored;
  // No failure counted yet, or the window has passed: the account window starts with this one.
  if (next.failures == 0 || now - next.window_start >= limits.account_window_seconds) {
    next.window_start = now;
    next.failures = 0;
  }
  if (next.pair_locked_until != 0) next.consecutive = 0;  // a served lock starts a fresh count
  // Reserve this attempt as a failure; a success takes it back.
  ++next.consecutive;
  ++next.failures;
  next.pair_locked_until = next.consecutive >= limits.pair_failures ? now + limits.pair_lock_seconds : 0;
  next.account_locked_until = next.failures >= limits.account_failures ? now + limits.account_lock_seconds : 0;
  d.attempt.allowed = true;
  d.attempt.attempts_remaining = static_cast<int>(std::max<std::int64_t>(0, limits.pair_failures - next.consecutive));
  d.attempt.locked_until = std::max(next.pair_locked_until, next.account_locked_until);
  d.next = next;
  return d;
}

store::LoginCounters after_success(const store::LoginCounters& stored) {
  store::LoginCounters next = stored;
  next.consecutive = 0;
  next.pair_locked_until = 0;
  next.failures = std::max<std::int64_t>(0, next.failures - 1);
  return next;
}

store::LoginCounters after_cancel(const store::LoginCounters& stored) {
  store::LoginCounters next = stored;
  next.consecutive = std::max<std::int64_t>(0, next.consecutive - 1);
  next.pair_locked_until = 0;
  next.failures = std::max<std::int64_t>(0, next.failures - 1);
  next.account_locked_until = 0;
  return next;
}

LoginAttempt LoginThrottle::begin(const std::string& email, const std::string& client, std::int64_t now) {
  LoginAttempt out;
  store_.update_login_counters(email, client, now, [&](const store::LoginCounters& stored) {
    AttemptDecision d = decide_attempt(stored, limits_, now);
    out = d.attempt;
    return d.next;
  });
  return out;
}

void LoginThrottle::succeeded(const std::string& email, const std::string& client, std::int64_t now) {
  store_.update_login_counters(email, client, now, [](const store::LoginCounters& stored) {
    return std::optional(after_success(stored));
  });
}

void LoginThrottle::cancel(const std::string& email, const std::string& client, std::int64_t now) {
  store_.update_login_counters(email, client, now, [](const store::LoginCounters& stored) {
    return std::optional(after_cancel(stored));
  });
}

}  // namespace archon::identity
