#include "ratelimit/local_rate_limiter.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace archon::ratelimit {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;

GcraRate per_minute(std::int64_t count, std::int64_t burst = 0) {
  return {kMinute / count, burst ? burst : count};
}

TEST(Gcra, AllowsTheBurstThenOnePerInterval) {
  GcraRate rate = per_minute(5);  // one every 12 s, 5 at once
  std::int64_t tat = 0, now = 100 * kSecond;
  for (int i = 0; i < 5; ++i) {
    auto r = gcra_step(tat, now, rate);
    ASSERT_TRUE(r.allowed) << i;
    EXPECT_EQ(r.remaining, 4 - i);
    tat = r.new_tat;
  }
  auto refused = gcra_step(tat, now, rate);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ns, 12 * kSecond);
  EXPECT_EQ(refused.full_after_ns, kMinute);
  EXPECT_FALSE(gcra_step(tat, now + 12 * kSecond - 1, rate).allowed);
  auto later = gcra_step(tat, now + 12 * kSecond, rate);
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(later.remaining, 0);
}

TEST(Gcra, NoDoubleBurstAcrossAWindowEdge) {
  // A fixed window would allow 5 at 0:59 and 5 more at 1:00. GCRA allows 5 then 1 per 12 s.
  GcraRate rate = per_minute(5);
  std::int64_t tat = 0, edge = 59 * kSecond;
  int passed = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = gcra_step(tat, edge, rate);
    if (r.allowed) ++passed, tat = r.new_tat;
  }
  for (int i = 0; i < 10; ++i) {
    auto r = gcra_step(tat, edge + 2 * kSecond, rate);
    if (r.allowed) ++passed, tat = r.new_tat;
  }
  EXPECT_EQ(passed, 5);
}

TEST(Gcra, BurstLargerThanTheRate) {
  GcraRate rate = per_minute(1000, 2000);
  std::int64_t tat = 0, now = kSecond;
  int passed = 0;
  for (int i = 0; i < 2500; ++i) {
    auto r = gcra_step(tat, now, rate);
    if (r.allowed) ++passed, tat = r.new_tat;
  }
  EXPECT_EQ(passed, 2000);
  // Refills at the rate: 1000 per minute.
  passed = 0;
  for (int i = 0; i < 1500; ++i) {
    auto r = gcra_step(tat, now + kMinute, rate);
    if (r.allowed) ++passed, tat = r.new_tat;
  }
  EXPECT_EQ(passed, 1000);
}

TEST(LocalRateLimiter, KeysAndScopesAreIndependent) {
  LocalRateLimiter limiter({{"a", per_minute(2)}, {"b", per_minute(1)}}, 1000);
  const std::int64_t now = kSecond;
  EXPECT_EQ(limiter.acquire(0, "x", now).kind, LimitOutcome::Kind::kAllowed);
  EXPECT_EQ(limiter.acquire(0, "x", now).kind, LimitOutcome::Kind::kAllowed);
  EXPECT_EQ(limiter.acquire(0, "x", now).kind, LimitOutcome::Kind::kLimited);
  EXPECT_EQ(limiter.acquire(0, "y", now).kind, LimitOutcome::Kind::kAllowed);
  EXPECT_EQ(limiter.acquire(1, "x", now).kind, LimitOutcome::Kind::kAllowed);
  EXPECT_EQ(limiter.acquire(1, "x", now).kind, LimitOutcome::Kind::kLimited);
}

TEST(LocalRateLimiter, RefundGivesBackOneRequest) {
  LocalRateLimiter limiter({{"a", per_minute(1)}}, 1000);
  EXPECT_EQ(limiter.acquire(0, "x", kSecond).kind, LimitOutcome::Kind::kAllowed);
  limiter.refund(0, "x");
  EXPECT_EQ(limiter.acquire(0, "x", kSecond).kind, LimitOutcome::Kind::kAllowed);
  EXPECT_EQ(limiter.acquire(0, "x", kSecond).kind, LimitOutcome::Kind::kLimited);
}

TEST(LocalRateLimiter, ConcurrentRequestsNeverExceedTheLimit) {
  LocalRateLimiter limiter({{"login", per_minute(5)}}, 1000);
  std::atomic<int> passed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i)
        if (limiter.acquire(0, "203.0.113.7", kSecond).kind == LimitOutcome::Kind::kAllowed) ++passed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(passed.load(), 5);
}

TEST(LocalRateLimiter, AMillionDistinctKeysStayWithinTheBound) {
  const std::size_t max_keys = 10000;
  LocalRateLimiter limiter({{"ip", per_minute(5)}}, max_keys);
  const std::size_t bytes = limiter.bytes_per_scope();
  EXPECT_LE(limiter.slots_per_scope(), 2 * max_keys);
  std::size_t admitted = 0, overflowed = 0;
  for (std::size_t i = 0; i < 1'000'000; ++i) {
    auto o = limiter.acquire(0, "key-" + std::to_string(i), kSecond);
    if (o.kind == LimitOutcome::Kind::kAllowed) ++admitted;
    else if (o.kind == LimitOutcome::Kind::kOverflow) ++overflowed;
  }
  // Storage never grows; keys beyond it are refused (fail closed), not tracked.
  EXPECT_EQ(limiter.bytes_per_scope(), bytes);
  EXPECT_EQ(admitted, limiter.slots_per_scope());
  EXPECT_EQ(admitted + overflowed, 1'000'000u);
  EXPECT_EQ(limiter.live_keys(0, kSecond), limiter.slots_per_scope());
  // A tracked key is still limited exactly while the flood is refused.
  // Once the keys go idle (a full bucket again: 12 s per request for 5/minute) they expire and
  // their slots serve new keys.
  const std::int64_t later = kSecond + 13 * kSecond;
  EXPECT_EQ(limiter.live_keys(0, later), 0u);
  EXPECT_EQ(limiter.acquire(0, "newcomer", later).kind, LimitOutcome::Kind::kAllowed);
}

TEST(LocalRateLimiter, OverflowTellsWhenASlotFrees) {
  LocalRateLimiter limiter({{"ip", per_minute(60)}}, LocalRateLimiter::kWays);  // one set
  for (std::size_t i = 0; i < LocalRateLimiter::kWays; ++i)
    ASSERT_EQ(limiter.acquire(0, "k" + std::to_string(i), kSecond).kind, LimitOutcome::Kind::kAllowed);
  auto o = limiter.acquire(0, "one-too-many", kSecond);
  EXPECT_EQ(o.kind, LimitOutcome::Kind::kOverflow);
  EXPECT_EQ(o.retry_after_ns, kSecond);  // each key's TAT is one interval (1 s) ahead
}

}  // namespace
}  // namespace archon::ratelimit
