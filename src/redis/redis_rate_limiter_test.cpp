#include "redis/redis_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "ratelimit/local_rate_limiter.hpp"
#include "redis/redis_test_server.hpp"

namespace archon::redis {
namespace {

using ratelimit::GcraRate;
using ratelimit::LimitOutcome;
using ratelimit::LimitScope;
using ratelimit::LocalRateLimiter;
using testing::RedisTestServer;
using testing::shared_redis_server;
using testing::test_client_config;
using std::chrono::milliseconds;

constexpr std::int64_t kMinute = 60'000'000'000;

GcraRate per(std::int64_t count, std::int64_t window_ns) { return {window_ns / count, count}; }

// Scope names unique to the test, so tests (and repeats) never share keys.
std::vector<LimitScope> scopes(std::initializer_list<GcraRate> rates) {
  static std::atomic<int> counter{0};
  std::vector<LimitScope> out;
  for (const auto& rate : rates)
    out.push_back({"test" + std::to_string(getpid()) + "." + std::to_string(++counter) + ":per_ip", rate});
  return out;
}

std::int64_t stored_tat(RedisClient& client, const std::string& key) {
  RedisReply r = client.command({"GET", key});
  return r.is_nil() ? 0 : std::stoll(r.str);
}

bool allowed(const LimitOutcome& o) { return o.kind == LimitOutcome::Kind::kAllowed; }

// Fails the test on any use: for limiters that must answer from Redis.
struct NoFallback : ratelimit::RateLimiter {
  LimitOutcome acquire(std::size_t, std::string_view, std::int64_t) override {
    ADD_FAILURE() << "fallback used";
    return {};
  }
  void refund(std::size_t, std::string_view) override { ADD_FAILURE() << "fallback used"; }
};

TEST(RedisRateLimiterTest, FiveAMinuteCountsDownLikeTheLocalLimiter) {
  RedisClient client(test_client_config(shared_redis_server().endpoint()));
  auto sc = scopes({per(5, kMinute)});
  NoFallback none;
  RedisRateLimiter redis(client, sc, none, nullptr);
  LocalRateLimiter local(sc, 64);
  for (int i = 0; i < 7; ++i) {
    LimitOutcome r = redis.acquire(0, "198.51.100.7", 0);
    LimitOutcome l = local.acquire(0, "198.51.100.7", 1'000'000);
    EXPECT_EQ(r.kind, l.kind) << i;
    EXPECT_EQ(r.remaining, l.remaining) << i;
    EXPECT_EQ(r.remaining, i < 5 ? 4 - i : 0) << i;
    // Redis's clock moves between calls, the local one was held still: equal to within that.
    EXPECT_NEAR(static_cast<double>(r.retry_after_ns), static_cast<double>(l.retry_after_ns), 1e9) << i;
    EXPECT_NEAR(static_cast<double>(r.full_after_ns), static_cast<double>(l.full_after_ns), 1e9) << i;
  }
}

// The script's result, checked against gcra_step itself at the Redis time the script saw
// (recovered from the TAT it stored, or the one it kept): identical to the nanosecond.
TEST(RedisRateLimiterTest, ScriptArithmeticIsExactlyGcraStep) {
  RedisClient client(test_client_config(shared_redis_server().endpoint()));
  auto sc = scopes({per(5, kMinute), per(7, kMinute), per(3, 10'000'000), {1, 1}});
  NoFallback none;
  RedisRateLimiter limiter(client, sc, none, nullptr);
  for (std::size_t s = 0; s < sc.size(); ++s) {
    const std::string key = limiter.redis_key(s, "exact");
    int allowed_count = 0, limited_count = 0;
    for (int i = 0; i < 12; ++i) {
      const std::int64_t before = stored_tat(client, key);
      LimitOutcome out = limiter.acquire(s, "exact", 0);
      const std::int64_t after = stored_tat(client, key);
      if (allowed(out)) {
        ++allowed_count;
        const std::int64_t redis_now = after - out.full_after_ns;
        ratelimit::GcraResult want = ratelimit::gcra_step(before, redis_now, sc[s].rate);
        ASSERT_TRUE(want.allowed) << s << "/" << i;
        EXPECT_EQ(after, want.new_tat) << s << "/" << i;
        EXPECT_EQ(out.remaining, want.remaining) << s << "/" << i;
        EXPECT_EQ(out.retry_after_ns, 0);
      } else {
        ++limited_count;
        ASSERT_EQ(after, before) << s << "/" << i;
        const std::int64_t redis_now = before - out.full_after_ns;
        ratelimit::GcraResult want = ratelimit::gcra_step(before, redis_now, sc[s].rate);
        ASSERT_FALSE(want.allowed) << s << "/" << i;
        EXPECT_EQ(out.retry_after_ns, want.retry_after_ns) << s << "/" << i;
        EXPECT_EQ(out.remaining, 0);
      }
      if (s == 2 && i >= 6) std::this_thread::sleep_for(milliseconds(2));  // partly refilled buckets
    }
    EXPECT_GT(allowed_count, 0) << s;
    if (s != 3) {
      EXPECT_GT(limited_count, 0) << s;
    }
  }
}

TEST(RedisRateLimiterTest, ConcurrentAcquiresNeverAdmitMoreThanTheRate) {
  RedisClient client(test_client_config(shared_redis_server().endpoint()));
  auto sc = scopes({per(5, kMinute)});
  NoFallback none;
  RedisRateLimiter redis(client, sc, none, nullptr);
  LocalRateLimiter local(sc, 64);
  for (ratelimit::RateLimiter* limiter : {static_cast<ratelimit::RateLimiter*>(&redis),
                                          static_cast<ratelimit::RateLimiter*>(&local)}) {
    std::mutex mu;
    std::multiset<std::int64_t> remaining;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&] {
        for (int i = 0; i < 25; ++i) {
          LimitOutcome o = limiter->acquire(0, "hot-key", 1'000'000);
          if (allowed(o)) {
            std::lock_guard lock(mu);
            remaining.insert(o.remaining);
          }
        }
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(remaining, (std::multiset<std::int64_t>{0, 1, 2, 3, 4}));
  }
}

TEST(RedisRateLimiterTest, TwoInstancesShareOneBudget) {
  RedisTestServer& server = shared_redis_server();
  RedisClient client_a(test_client_config(server.endpoint()));
  RedisClient client_b(test_client_config(server.endpoint()));
  auto sc = scopes({per(5, kMinute)});
  NoFallback none;
  RedisRateLimiter a(client_a, sc, none, nullptr);
  RedisRateLimiter b(client_b, sc, none, nullptr);
  int admitted = 0;
  for (int i = 0; i < 10; ++i) admitted += allowed((i % 2 ? a : b).acquire(0, "user-42", 0));
  EXPECT_EQ(admitted, 5);
}

TEST(RedisRateLimiterTest, RefundGivesBackExactlyOne) {
  RedisClient client(test_client_config(shared_redis_server().endpoint()));
  auto sc = scopes({per(3, kMinute)});
  NoFallback none;
  RedisRateLimiter limiter(client, sc, none, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(allowed(limiter.acquire(0, "k", 0)));
  EXPECT_FALSE(allowed(limiter.acquire(0, "k", 0)));
  limiter.refund(0, "k");
  LimitOutcome again = limiter.acquire(0, "k", 0);
  EXPECT_TRUE(allowed(again));
  EXPECT_EQ(again.remaining, 0);
  EXPECT_FALSE(allowed(limiter.acquire(0, "k", 0)));

  // Refunds never go below a full bucket, and create nothing for an unknown key.
  for (int i = 0; i < 5; ++i) limiter.refund(0, "k");
  EXPECT_EQ(client.command({"EXISTS", limiter.redis_key(0, "k")}).integer, 0);
  limiter.refund(0, "never-seen");
  EXPECT_EQ(client.command({"EXISTS", limiter.redis_key(0, "never-seen")}).integer, 0);
  EXPECT_EQ(limiter.acquire(0, "k", 0).remaining, 2);
}

TEST(RedisRateLimiterTest, KeysAreArbitraryBytesAndDistinct) {
  RedisClient client(test_client_config(shared_redis_server().endpoint()));
  auto sc = scopes({per(1, kMinute)});
  NoFallback none;
  RedisRateLimiter limiter(client, sc, none, nullptr);
  const std::vector<std::string> keys{
      std::string("a\0b", 3), std::string("a\0c", 3), "a", "jos\xc3\xa9@b\xc3\xbc" "cher.example", "2001:db8::1",
      "2001:db8::1]", "') return {1} --", std::string(1024, 'x'), std::string(1023, 'x') + "y", "{tag}:k"};
  for (const auto& k : keys) EXPECT_TRUE(allowed(limiter.acquire(0, k, 0))) << k.size();
  for (const auto& k : keys) EXPECT_FALSE(allowed(limiter.acquire(0, k, 0))) << k.size();
  EXPECT_EQ(client.command({"EXISTS", limiter.redis_key(0, std::string("a\0b", 3))}).integer, 1);
  EXPECT_EQ(limiter.redis_key(0, "a"), "rate_limit:" + sc[0].name + ":a");
}

TEST(RedisRateLimiterTest, KeysExpireWhenTheBucketIsFullAgain) {
  RedisClient client(test_client_config(shared_redis_server().endpoint()));
  auto sc = scopes({per(5, kMinute), per(2, 100'000'000)});
  NoFallback none;
  RedisRateLimiter limiter(client, sc, none, nullptr);
  limiter.acquire(0, "ttl", 0);
  limiter.acquire(0, "ttl", 0);
  const std::int64_t pttl = client.command({"PTTL", limiter.redis_key(0, "ttl")}).integer;
  EXPECT_GT(pttl, 2 * 12'000 - 1'000);  // two emission intervals of 12 s
  EXPECT_LE(pttl, 60'000);

  ASSERT_TRUE(allowed(limiter.acquire(1, "short", 0)));
  EXPECT_LE(client.command({"PTTL", limiter.redis_key(1, "short")}).integer, 100);
  std::this_thread::sleep_for(milliseconds(80));
  EXPECT_EQ(client.command({"EXISTS", limiter.redis_key(1, "short")}).integer, 0);
}

TEST(RedisRateLimiterTest, FallsBackWhileRedisIsDownAndReturns) {
  RedisTestServer server;
  auto config = test_client_config(server.endpoint());
  config.connect_timeout = milliseconds(200);
  config.command_timeout = milliseconds(200);
  RedisClient client(config);
  auto sc = scopes({per(2, kMinute)});
  LocalRateLimiter local(sc, 64);
  std::mutex mu;
  std::vector<bool> events;
  RedisRateLimiter limiter(client, sc, local, [&](bool down) {
    std::lock_guard lock(mu);
    events.push_back(down);
  }, milliseconds(300));

  EXPECT_TRUE(allowed(limiter.acquire(0, "k", 1)));
  EXPECT_FALSE(limiter.degraded());
  server.stop();

  // Every answer now comes from the local limiter, which has seen nothing of this key yet.
  LimitOutcome first = limiter.acquire(0, "k", 1);
  EXPECT_TRUE(allowed(first));
  EXPECT_EQ(first.remaining, 1);
  EXPECT_TRUE(limiter.degraded());
  EXPECT_TRUE(allowed(limiter.acquire(0, "k", 1)));
  EXPECT_FALSE(allowed(limiter.acquire(0, "k", 1)));
  limiter.refund(0, "k");
  EXPECT_TRUE(allowed(limiter.acquire(0, "k", 1)));
  EXPECT_EQ(limiter.fallback_acquires(), 4u);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(events, std::vector<bool>{true});
  }

  server.start();
  // Until the retry interval passes, Redis is not asked.
  EXPECT_FALSE(allowed(limiter.acquire(0, "k", 1)));
  EXPECT_TRUE(limiter.degraded());
  std::this_thread::sleep_for(milliseconds(350));
  LimitOutcome back = limiter.acquire(0, "k", 1);  // a fresh Redis, and a script cache to refill
  EXPECT_TRUE(allowed(back));
  EXPECT_EQ(back.remaining, 1);
  EXPECT_FALSE(limiter.degraded());
  std::lock_guard lock(mu);
  EXPECT_EQ(events, (std::vector<bool>{true, false}));
}

TEST(RedisRateLimiterTest, AnUnresponsiveRedisIsRetriedAtMostOncePerInterval) {
  RedisTestServer server;
  auto config = test_client_config(server.endpoint());
  config.command_timeout = milliseconds(150);
  RedisClient client(config);
  auto sc = scopes({per(1000, kMinute)});
  LocalRateLimiter local(sc, 64);
  std::atomic<int> downs{0};
  RedisRateLimiter limiter(client, sc, local, [&](bool down) { downs += down; }, milliseconds(300));
  server.pause();  // connects succeed, commands time out: each attempt costs 150 ms
  auto start = std::chrono::steady_clock::now();
  int served = 0, slow = 0;
  while (std::chrono::steady_clock::now() - start < milliseconds(1000)) {
    auto t = std::chrono::steady_clock::now();
    limiter.acquire(0, "k", 1);
    if (std::chrono::steady_clock::now() - t > milliseconds(100)) ++slow;
    ++served;
  }
  server.resume();
  EXPECT_EQ(downs.load(), 1);
  EXPECT_GE(slow, 1);
  EXPECT_LE(slow, 3);  // one attempt, then one every 300 ms + 150 ms
  EXPECT_EQ(limiter.fallback_acquires(), static_cast<std::uint64_t>(served));
}

}  // namespace
}  // namespace archon::redis
