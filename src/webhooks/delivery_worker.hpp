// Delivers webhook deliveries off the request path: a few threads each claim one due delivery
// at a time (a lease in the store, so several instances never send the same attempt at once and
// a killed instance's deliveries pass to another when the lease runs out), sign it with every
// live secret of its endpoint, POST it, and record the attempt. Failures retry on the configured
// schedule with +-20% jitter; a delivery whose schedule runs out fails, and if its endpoint has
// not succeeded since that delivery began, the endpoint is disabled (event and audit row).
// Delivery is at-least-once: an attempt is recorded only after the POST, so a crash in between
// sends it again with the same webhook-id.
#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "audit/audit_log.hpp"
#include "net/outbound_http.hpp"
#include "observability/metrics.hpp"
#include "store/webhook_repository.hpp"
#include "webhooks/webhook_service.hpp"

namespace archon::webhooks {

struct DeliveryWorkerOptions {
  int threads = 4;
  std::chrono::milliseconds poll_interval{250};
  std::vector<std::chrono::seconds> retry_schedule;  // waits after attempt 1, 2, ...
  std::int64_t lease_seconds = 60;                   // longer than one attempt can take
};

class DeliveryWorker {
 public:
  DeliveryWorker(store::WebhookRepository& repo, WebhookService& service, const net::OutboundHttp& http,
                 audit::AuditLog& audit, observability::Metrics& metrics, DeliveryWorkerOptions options);
  ~DeliveryWorker();  // stop()
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void start();
  // Finishes the attempts in flight and joins; the rest stays due for the next start.
  void stop();

  // The next attempt's time (epoch seconds, rounded up, so the wait is never shorter than drawn)
  // after `failed_attempts` failures, or nullopt when the schedule is spent. `now_ms` is epoch
  // milliseconds; `unit_random` in [0, 1) picks the jitter.
  static std::optional<std::int64_t> next_attempt(std::int64_t now_ms, int failed_attempts,
                                                  const std::vector<std::chrono::seconds>& schedule,
                                                  double unit_random);

 private:
  void run(std::stop_token stop);
  void deliver(const store::WebhookDeliveryRecord& delivery);
  void disable_if_failing(const store::WebhookEndpointRecord& endpoint, const store::WebhookDeliveryRecord& delivery,
                          std::int64_t now);

  store::WebhookRepository& repo_;
  WebhookService& service_;
  const net::OutboundHttp& http_;
  audit::AuditLog& audit_;
  observability::Metrics& metrics_;
  DeliveryWorkerOptions options_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::vector<std::jthread> threads_;
};

}  // namespace archon::webhooks
