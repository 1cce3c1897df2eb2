#include "webhooks/delivery_worker.hpp"

#include <cmath>
#include <random>

#include "core/log.hpp"
#include "webhooks/emit.hpp"
#include "webhooks/signature.hpp"
#include "tokens/keyring.hpp"

namespace archon::webhooks {
namespace {

double unit_random() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// One printable line for the log: the answer's start, never more than 200 bytes.
std::string excerpt(const std::string& body) {
  std::string out;
  for (char ch : body.substr(0, 200)) out += (ch >= 0x20 && ch < 0x7f) ? ch : ' ';
  return out;
}

}  // namespace

DeliveryWorker::DeliveryWorker(store::WebhookRepository& repo, WebhookService& service, const net::OutboundHttp& http,
                               audit::AuditLog& audit, observability::Metrics& metrics, DeliveryWorkerOptions options)
    : repo_(repo), service_(service), http_(http), audit_(audit), metrics_(metrics), options_(std::move(options)) {}

DeliveryWorker::~DeliveryWorker() { stop(); }

void DeliveryWorker::start() {
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this](std::stop_token stop) { run(stop); });
}

void DeliveryWorker::stop() {
  for (auto& t : threads_) t.request_stop();
  wake_.notify_all();
  threads_.clear();  // joins
}

std::optional<std::int64_t> DeliveryWorker::next_attempt(std::int64_t now_ms, int failed_attempts,
                                                         const std::vector<std::chrono::seconds>& schedule,
                                                         double unit_random) {
  if (failed_attempts < 1 || static_cast<std::size_t>(failed_attempts) > schedule.size()) return std::nullopt;
  double wait_ms = 1000.0 * static_cast<double>(schedule[static_cast<std::size_t>(failed_attempts - 1)].count());
  auto jittered_ms = static_cast<std::int64_t>(std::llround(wait_ms * (0.8 + 0.4 * unit_random)));
  // The store keeps whole seconds and claims a delivery once its second has begun: rounding up
  // keeps every wait at least as long as drawn.
  return (now_ms + jittered_ms + 999) / 1000;
}

void DeliveryWorker::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::vector<store::WebhookDeliveryRecord> claimed;
    try {
      claimed = repo_.claim_due_deliveries(tokens::system_epoch_seconds(), 1, options_.lease_seconds);
    } catch (const std::exception& e) {
      log::warn("webhook deliveries not claimed", {{"error", e.what()}});
    }
    for (const auto& d : claimed) {
      try {
        deliver(d);
      } catch (const std::exception& e) {  // the lease runs out and the delivery is tried again
        log::warn("webhook attempt not recorded", {{"delivery_id", d.id}, {"error", e.what()}});
      }
    }
    if (!claimed.empty()) continue;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, stop, options_.poll_interval, [] { return false; });
  }
}

void DeliveryWorker::deliver(const store::WebhookDeliveryRecord& d) {
  auto endpoint = repo_.find_endpoint(d.endpoint_id);
  if (!endpoint) return;  // removed since: its deliveries went with it
  std::int64_t timestamp = tokens::system_epoch_seconds();
  std::string signatures;
  for (const auto& secret : service_.signing_secrets(*endpoint, timestamp)) {
    auto sig = sign(secret, d.event_id, timestamp, d.payload);
    if (sig) signatures += (signatures.empty() ? "" : " ") + *sig;
  }
  store::WebhookAttemptRecord attempt{d.id, d.attempts + 1, timestamp, 0, 0, {}};
  if (signatures.empty()) {
    attempt.error = "no signing secret could be read";
  } else {
    auto response = http_.post(endpoint->url,
                               {{"Content-Type", "application/json"},
                                {"webhook-id", d.event_id},
                                {"webhook-timestamp", std::to_string(timestamp)},
                                {"webhook-signature", signatures}},
                               d.payload);
    attempt.status_code = response.status;
    attempt.latency_ms = response.latency_ms;
    if (!response.error.empty()) attempt.error = response.error;
    else if (response.status < 200 || response.status > 299)
      attempt.error = "HTTP " + std::to_string(response.status) + (response.body.empty() ? "" : ": " + excerpt(response.body));
  }
  std::int64_t now = tokens::system_epoch_seconds();
  store::DeliveryOutcome outcome{"succeeded", now};
  if (!attempt.error.empty()) {
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
    auto next = next_attempt(now_ms.count(), attempt.attempt, options_.retry_schedule, unit_random());
    outcome = next ? store::DeliveryOutcome{"pending", *next} : store::DeliveryOutcome{"failed", now};
  }
  repo_.record_attempt(attempt, outcome, endpoint->id);
  metrics_.count_webhook_attempt(outcome.status == "pending" ? "retry" : outcome.status);
  if (outcome.status == "failed") disable_if_failing(*endpoint, d, now);
}

void DeliveryWorker::disable_if_failing(const store::WebhookEndpointRecord& endpoint,
                                        const store::WebhookDeliveryRecord& d, std::int64_t now) {
  // Re-read: another delivery may have succeeded meanwhile (then the endpoint is alive).
  auto current = repo_.find_endpoint(endpoint.id);
  if (!current || !current->enabled || (current->last_success_at && *current->last_success_at >= d.created_at)) return;
  std::string reason = "Every attempt of delivery " + std::to_string(d.id) + " failed over the retry schedule";
  store::EventScope scope;  // the event commits with the change
  emit("webhook.endpoint_disabled", {{"webhook_id", endpoint.id}, {"url", endpoint.url}, {"reason", reason}});
  if (!repo_.disable_failing_endpoint(endpoint.id, d.created_at, reason, now)) return;
  log::warn("webhook endpoint disabled", {{"webhook_id", endpoint.id}, {"reason", reason}});
  audit_.record({}, "webhook.endpoint_disabled", "success", "system", std::nullopt,
                {{"webhook_id", endpoint.id}, {"reason", reason}});
}

}  // namespace archon::webhooks
