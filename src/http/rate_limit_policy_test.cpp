#include "http/rate_limit_policy.hpp"

#include <gtest/gtest.h>

namespace archon::http {
namespace {

RequestContext context(std::string address) {
  RequestContext ctx;
  ctx.client_address = std::move(address);
  return ctx;
}

TEST(RateLimitPolicy, LoginCountsTheAddressThenTheAccount) {
  observability::Metrics metrics;
  RateLimitPolicy policy(Config::default_rate_limits(), 1000, metrics);
  for (int i = 0; i < 5; ++i) {
    auto ctx = context("198.51.100.1");
    ASSERT_FALSE(policy.admit_address("authentication.login", false, ctx)) << i;
    ASSERT_TRUE(ctx.rate_limit);
    EXPECT_EQ(ctx.rate_limit->limit, 5u);
    EXPECT_EQ(ctx.rate_limit->remaining, static_cast<std::uint64_t>(4 - i));
    EXPECT_EQ(ctx.rate_limit->policy, "5;w=60");
    EXPECT_EQ(ctx.rate_limit->name, "login");
  }
  auto ctx = context("198.51.100.1");
  auto refused = policy.admit_address("authentication.login", false, ctx);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, ErrorCode::kRateLimitExceeded);
  EXPECT_EQ(refused->details.at("limit").as_uint64(), 5u);
  EXPECT_EQ(refused->details.at("window").as_string(), "1 minute");
  EXPECT_EQ(refused->details.at("retry_after").as_int64(), 12);
  EXPECT_EQ(ctx.rate_limit->remaining, 0u);

  // per_user: 10 a minute for one account, from any number of addresses.
  int passed = 0;
  for (int i = 0; i < 15; ++i) {
    auto c = context("203.0.113." + std::to_string(i));
    if (!policy.admit_subject("authentication.login", "victim@example.com", c)) ++passed;
  }
  EXPECT_EQ(passed, 10);
}

TEST(RateLimitPolicy, BurstTiersReportTheBurstAndThePolicy) {
  observability::Metrics metrics;
  RateLimitPolicy policy(Config::default_rate_limits(), 1000, metrics);
  auto ctx = context("198.51.100.1");
  ASSERT_FALSE(policy.admit_subject("api_access.authenticated", "user-1", ctx));
  EXPECT_EQ(ctx.rate_limit->limit, 2000u);
  EXPECT_EQ(ctx.rate_limit->remaining, 1999u);
  EXPECT_EQ(ctx.rate_limit->policy, "1000;w=60;burst=2000");
  EXPECT_EQ(ctx.rate_limit->quota, 1000u);
  EXPECT_EQ(ctx.rate_limit->window_seconds, 60);
}

TEST(RateLimitPolicy, ARefusedDimensionGivesBackTheOthers) {
  // register: per_ip and global. Make global the one that refuses.
  auto tiers = Config::default_rate_limits();
  tiers["authentication.register"].limits["global"] = {2, std::chrono::seconds(3600)};
  tiers["authentication.register"].limits["per_ip"] = {1, std::chrono::seconds(60)};
  observability::Metrics metrics;
  RateLimitPolicy policy(tiers, 1000, metrics);
  auto a = context("192.0.2.1"), b = context("192.0.2.2"), c = context("192.0.2.3");
  EXPECT_FALSE(policy.admit_address("authentication.register", false, a));
  EXPECT_FALSE(policy.admit_address("authentication.register", false, b));
  EXPECT_TRUE(policy.admit_address("authentication.register", false, c));  // global used up
  // c's per_ip allowance (1) was given back when global refused: the next attempt is refused
  // by global again, not by per_ip.
  auto probe = context("192.0.2.3");
  auto refused = policy.admit_address("authentication.register", false, probe);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->details.at("scope").as_string(), "global");
  EXPECT_NE(metrics.render_prometheus().find("rate_limit_exceeded_total{tier=\"authentication.register\"} 2"),
            std::string::npos);
}

TEST(RateLimitPolicy, UnknownTiersAndTiersWithoutAPrincipalAdmit) {
  observability::Metrics metrics;
  RateLimitPolicy policy(Config::default_rate_limits(), 1000, metrics);
  auto ctx = context("192.0.2.1");
  EXPECT_FALSE(policy.admit_address("no.such.tier", false, ctx));
  EXPECT_FALSE(policy.admit_subject("public.health_check", "x", ctx));
  EXPECT_FALSE(ctx.rate_limit);
}

}  // namespace
}  // namespace archon::http
