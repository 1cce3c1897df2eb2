// The login throttling and lockout rules, as plain functions: no database.
#include "identity/login_throttle.hpp"

#include <gtest/gtest.h>

namespace archon::identity {
namespace {

using store::LoginCounters;

LoginLimits limits(int pair = 5, int account = 100) {
  LoginLimits l;
  l.pair_failures = pair;
  l.account_failures = account;
  return l;
}

// Runs n reserved (then failed) attempts from one address, from `start`, one second apart.
LoginCounters fail(LoginCounters c, int n, const LoginLimits& l, std::int64_t at) {
  for (int i = 0; i < n; ++i) {
    auto d = decide_attempt(c, l, at);
    if (d.next) c = *d.next;
  }
  return c;
}

TEST(LoginThrottle, AFirstAttemptIsReservedAsAFailure) {
  auto d = decide_attempt({}, limits(), 1000);
  EXPECT_TRUE(d.attempt.allowed);
  EXPECT_EQ(d.attempt.attempts_remaining, 4);
  ASSERT_TRUE(d.next);
  EXPECT_EQ(d.next->consecutive, 1);
  EXPECT_EQ(d.next->failures, 1);
  EXPECT_EQ(d.next->window_start, 1000) << "the account window starts with the first failure";
  EXPECT_EQ(d.attempt.locked_until, 0);
}

TEST(LoginThrottle, TheFifthFailureLocksThePairForItsDuration) {
  auto c = fail({}, 4, limits(), 1000);
  auto fifth = decide_attempt(c, limits(), 1000);
  EXPECT_TRUE(fifth.attempt.allowed) << "the fifth is still checked";
  EXPECT_EQ(fifth.attempt.attempts_remaining, 0);
  EXPECT_EQ(fifth.attempt.locked_until, 1000 + 900);
  auto sixth = decide_attempt(*fifth.next, limits(), 1001);
  EXPECT_FALSE(sixth.attempt.allowed);
  EXPECT_EQ(sixth.attempt.locked_until, 1900);
  EXPECT_FALSE(sixth.next) << "a refused attempt changes nothing";
}

TEST(LoginThrottle, AServedLockStartsAFreshCount) {
  auto c = fail({}, 5, limits(), 1000);
  auto after = decide_attempt(c, limits(), 1900);
  EXPECT_TRUE(after.attempt.allowed);
  EXPECT_EQ(after.next->consecutive, 1);
  EXPECT_EQ(after.attempt.attempts_remaining, 4);
}

TEST(LoginThrottle, TheAccountCeilingCountsEveryAddressWithinItsWindow) {
  LoginLimits l = limits(5, 10);
  LoginCounters c;
  for (int i = 0; i < 10; ++i) {  // each from a new address: the pair count stays low
    c.consecutive = 0;
    auto d = decide_attempt(c, l, 1000 + i);
    ASSERT_TRUE(d.attempt.allowed) << i;
    c = *d.next;
  }
  EXPECT_EQ(c.account_locked_until, 1009 + 3600);
  c.consecutive = 0;
  EXPECT_FALSE(decide_attempt(c, l, 1010).attempt.allowed);
  LoginCounters fresh_window = c;
  fresh_window.account_locked_until = 0;
  auto later = decide_attempt(fresh_window, l, 1000 + 3600);
  EXPECT_EQ(later.next->failures, 1) << "a new window counts from zero";
  EXPECT_EQ(later.next->window_start, 4600);
}

TEST(LoginThrottle, SuccessClearsThePairAndGivesTheReservationBack) {
  auto c = fail({}, 4, limits(), 1000);
  auto ok = after_success(c);
  EXPECT_EQ(ok.consecutive, 0);
  EXPECT_EQ(ok.pair_locked_until, 0);
  EXPECT_EQ(ok.failures, 3) << "the successful attempt's own reservation is given back";
  EXPECT_EQ(ok.window_start, c.window_start);
}

TEST(LoginThrottle, CancelGivesTheAttemptBackWithTheLockItSet) {
  auto c = fail({}, 5, limits(), 1000);  // the fifth locked the pair
  auto back = after_cancel(c);
  EXPECT_EQ(back.consecutive, 4);
  EXPECT_EQ(back.pair_locked_until, 0);
  EXPECT_EQ(back.failures, 4);
  EXPECT_TRUE(decide_attempt(back, limits(), 1000).attempt.allowed);
  EXPECT_EQ(after_cancel({}), LoginCounters{}) << "never below zero";
}

TEST(LoginThrottle, LimitsComeFromTheIdentityConfig) {
  IdentityConfig config;
  config.lockout_failures = 3;
  config.lockout_duration = std::chrono::seconds(60);
  config.account_failures_per_hour = 20;
  auto l = login_limits(config);
  EXPECT_EQ(l.pair_failures, 3);
  EXPECT_EQ(l.pair_lock_seconds, 60);
  EXPECT_EQ(l.account_failures, 20);
  EXPECT_EQ(l.account_window_seconds, 3600);
}

}  // namespace
}  // namespace archon::identity
