#include "observability/health.hpp"

#include <cmath>
#include <exception>

namespace archon::observability {

const char* to_string(CheckResult::Status s) {
  switch (s) {
    case CheckResult::Status::kHealthy: return "healthy";
    case CheckResult::Status::kDegraded: return "degraded";
    case CheckResult::Status::kUnhealthy: return "unhealthy";
    case CheckResult::Status::kNotConfigured: return "not_configured";
  }
  return "unhealthy";
}

void HealthRegistry::add(std::string name, Check check) { checks_.emplace_back(std::move(name), std::move(check)); }

HealthRegistry::Report HealthRegistry::run() const {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    if (last_ && now - last_at_ < max_age_) return *last_;
  }
  // Probed outside the lock: a slow dependency holds only the callers that found no fresh report.
  auto fresh = std::make_shared<const Report>(probe());
  std::lock_guard lock(mu_);
  if (!last_ || last_at_ <= now) {
    last_ = fresh;
    last_at_ = now;
  }
  return *fresh;
}

HealthRegistry::Report HealthRegistry::probe() const {
  Report report;
  for (const auto& [name, check] : checks_) {
    CheckResult r;
    auto start = std::chrono::steady_clock::now();
    try {
      r = check();
    } catch (const std::exception&) {
      r = {CheckResult::Status::kUnhealthy, "check failed", 0};
    }
    if (r.response_time_ms == 0)
      r.response_time_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    boost::json::object o{{"status", to_string(r.status)},
                          {"response_time_ms", std::round(r.response_time_ms * 1000) / 1000}};
    if (!r.message.empty()) o["message"] = r.message;
    report.checks[name] = std::move(o);
    report.any_unhealthy |= r.status == CheckResult::Status::kUnhealthy;
    report.any_degraded |= r.status == CheckResult::Status::kDegraded;
  }
  return report;
}

}  // namespace archon::observability
