// Health checks in the spec's shape: each named dependency reports healthy, degraded,
// unhealthy or not_configured (a component whose issue has not landed, reported as such rather
// than pretended healthy). Register checks at start-up; run() is thread-safe.
//
// run() reuses the last report for `max_age` (1 s by default): a load balancer polling every
// second sees a fresh probe each time, while a flood of GET /health (a public route) costs one
// database round trip per second instead of one per request, and never queues behind the
// traffic it is meant to watch.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
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
  void set_max_age(std::chrono::steady_clock::duration max_age) { max_age_ = max_age; }

 private:
  Report probe() const;

  std::vector<std::pair<std::string, Check>> checks_;
  std::chrono::steady_clock::duration max_age_ = std::chrono::seconds(1);
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Report> last_;
  mutable std::chrono::steady_clock::time_point last_at_;
};

const char* to_string(CheckResult::Status s);

}  // namespace archon::observability
