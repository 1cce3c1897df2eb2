#include "observability/health.hpp"

#include <atomic>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace archon::observability {
namespace {

TEST(HealthRegistry, ReusesTheLastReportWithinMaxAge) {
  std::atomic<int> probes{0};
  HealthRegistry health;
  health.add("database", [&] {
    ++probes;
    return CheckResult{CheckResult::Status::kHealthy, "ok", 0.5};
  });
  for (int i = 0; i < 100; ++i) {
    auto r = health.run();
    EXPECT_FALSE(r.any_unhealthy);
    EXPECT_EQ(r.checks.at("database").at("status").as_string(), "healthy");
  }
  EXPECT_EQ(probes.load(), 1);
}

TEST(HealthRegistry, ProbesAgainOnceTheReportIsOlderThanMaxAge) {
  std::atomic<bool> down{false};
  HealthRegistry health;
  health.set_max_age(std::chrono::milliseconds(20));
  health.add("database", [&] {
    return down ? CheckResult{CheckResult::Status::kUnhealthy, "database query failed", 0}
                : CheckResult{CheckResult::Status::kHealthy, "ok", 0};
  });
  EXPECT_FALSE(health.run().any_unhealthy);
  down = true;
  EXPECT_FALSE(health.run().any_unhealthy);  // still the cached report
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  auto r = health.run();
  EXPECT_TRUE(r.any_unhealthy);
  EXPECT_EQ(r.checks.at("database").at("message").as_string(), "database query failed");
}

TEST(HealthRegistry, ZeroMaxAgeProbesEveryTime) {
  int probes = 0;
  HealthRegistry health;
  health.set_max_age(std::chrono::steady_clock::duration::zero());
  health.add("x", [&] {
    ++probes;
    return CheckResult{};
  });
  health.run();
  health.run();
  EXPECT_EQ(probes, 2);
}

TEST(HealthRegistry, AThrowingCheckIsUnhealthyNotAnError) {
  HealthRegistry health;
  health.add("jwt_service", []() -> CheckResult { throw std::runtime_error("boom with a secret"); });
  health.add("degraded_one", [] { return CheckResult{CheckResult::Status::kDegraded, "fallback", 0}; });
  auto r = health.run();
  EXPECT_TRUE(r.any_unhealthy);
  EXPECT_TRUE(r.any_degraded);
  EXPECT_EQ(r.checks.at("jwt_service").at("message").as_string(), "check failed");
}

}  // namespace
}  // namespace archon::observability
