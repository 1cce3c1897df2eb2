#include "observability/metrics.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace archon::observability {
namespace {

TEST(Metrics, RendersTheSpecNamesWithRouteTemplates) {
  Metrics m;
  m.observe_request("GET", "/api/v2/users/{id}", 200, 0.003);
  m.observe_request("GET", "/api/v2/users/{id}", 200, 0.2);
  m.count_cache("user", true);
  m.count_rate_limit_exceeded("authentication.login");
  std::string text = m.render_prometheus();
  EXPECT_NE(text.find("# TYPE http_request_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("http_requests_total{method=\"GET\",route=\"/api/v2/users/{id}\",status=\"200\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v2/users/{id}\","
                      "status=\"200\",le=\"0.005\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("le=\"+Inf\"} 2"), std::string::npos);
  EXPECT_NE(text.find("cache_hits_total{cache=\"user\",result=\"hit\"} 1"), std::string::npos);
  EXPECT_NE(text.find("rate_limit_exceeded_total{tier=\"authentication.login\"} 1"), std::string::npos);
  EXPECT_NE(text.find("auth_attempts_total{outcome=\"success\"} 0"), std::string::npos);
  EXPECT_NE(text.find("# TYPE db_connections_active gauge"), std::string::npos);
}

TEST(Metrics, ConcurrentRecordingLosesNothing) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) m.observe_request("GET", "/health", 200, 0.0001);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.summary().requests_total, 40000u);
  EXPECT_NE(m.render_prometheus().find("http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 40000"),
            std::string::npos);
}

}  // namespace
}  // namespace archon::observability
