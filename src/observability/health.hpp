// Health checks in the spec's shape: each named dependency reports healthy, degraded,
// unhealthy or not_configured (a component whose issue has not landed, reported as such rather
// than pretended healthy). Register checks at start-up; run() is thread-safe.
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace archon::observability {

struct CheckResult {
  enum class Status { kHealthy, kDegraded, kUnhealthy, kNotConfigured };
  Status status = Status::kHealthy;
  std::string message;                  // safe for any caller to read
  double response_time_ms = 0;
};

class HealthRegistry {
 public:
  using Check = std::function<CheckResult()>;
  void add(std::string name, Check check);

  struct Report {
    boost::json::object checks;  // name -> {status, message?, response_time_ms}
    bool any_unhealthy = false;
    bool any_degraded = false;
  };
  Report run() const;

 private:
  std::vector<std::pair<std::string, Check>> checks_;
};

const char* to_string(CheckResult::Status s);

}  // namespace archon::observability
