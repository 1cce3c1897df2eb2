// GET /health, /health/live, /health/ready.
#include <cmath>

#include "api/route_table.hpp"
#include "core/clock.hpp"
#include "http/envelope.hpp"
#include "http/exchange.hpp"

namespace archon::api {
namespace {

using Task = boost::asio::awaitable<void>;

boost::json::object performance(const observability::Metrics& m) {
  auto s = m.summary();
  auto r3 = [](double d) { return std::round(d * 1000) / 1000; };
  return {{"avg_response_time", r3(s.avg_response_time_ms)},
          {"requests_per_second", r3(s.requests_per_second)},
          {"cache_hit_rate", r3(s.cache_hit_rate)}};
}

Task health(http::Exchange& ex, const Services& svc, const CallerToken&) {
  auto report = svc.health->run();
  const char* status = report.any_unhealthy ? "unhealthy" : report.any_degraded ? "degraded" : "healthy";
  double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - svc.started).count();
  boost::json::object doc{{"status", status},
                          {"timestamp", clock::now_iso8601_utc()},
                          {"version", http::kApiVersion},
                          {"server_version", ARCHON_VERSION},
                          {"uptime", std::round(uptime * 1000) / 1000},
                          {"checks", std::move(report.checks)},
                          {"performance", performance(*svc.metrics)}};
  if (report.any_unhealthy)
    ex.fail(ApiError::make(ErrorCode::kSystemServiceUnavailable, "A dependency is unhealthy", std::move(doc)));
  else
    ex.reply(std::move(doc));
  co_return;
}

Task live(http::Exchange& ex, const Services&, const CallerToken&) {
  ex.reply(boost::json::object{{"status", "alive"}});
  co_return;
}

Task ready(http::Exchange& ex, const Services& svc, const CallerToken&) {
  if (svc.server_state->draining.load()) {
    ex.fail(ApiError::make(ErrorCode::kSystemServiceUnavailable, "The server is shutting down",
                           {{"reason", "draining"}}));
    co_return;
  }
  auto report = svc.health->run();
  if (report.any_unhealthy) {
    ex.fail(ApiError::make(ErrorCode::kSystemServiceUnavailable, "A dependency is unhealthy",
                           {{"reason", "dependency"}, {"checks", std::move(report.checks)}}));
    co_return;
  }
  ex.reply(boost::json::object{{"status", "ready"}, {"checks", std::move(report.checks)}});
  co_return;
}

}  // namespace

void register_health_routes(http::Router& router, const Services& svc) {
  using http::Verb;
  add_routes(router, svc,
             {
                 {Verb::get, "/health", tier::kHealth, access::kAnyone, health},
                 {Verb::get, "/health/live", tier::kHealth, access::kAnyone, live, {.in_memory_only = true}},
                 {Verb::get, "/health/ready", tier::kHealth, access::kAnyone, ready},
             });
}

}  // namespace archon::api
