// Webhook endpoints and the outbox of their deliveries. Events are written by the outbox writer
// (SqlWebhookStore::write_events) inside the transaction of the change that caused them; the
// delivery workers claim due deliveries with a lease (several instances never deliver the same
// attempt at once; a killed instance's lease runs out and another takes the delivery). Backend-
// neutral; implementations are thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/staged_events.hpp"

namespace archon::store {

struct WebhookEndpointRecord {
  std::string id;  // "wh_<32 hex>"
  std::string url;
  std::string description;
  std::vector<std::string> event_types;  // {"*"} for every type
  bool enabled = true;
  std::string secret_sealed;
  std::optional<std::string> previous_secret_sealed;
  std::optional<std::int64_t> previous_secret_expires_at;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::string> disabled_reason;
  std::optional<std::int64_t> last_success_at;
};

struct WebhookAttemptRecord {
  std::int64_t delivery_id = 0;
  int attempt = 0;  // 1-based
  std::int64_t at = 0;
  int status_code = 0;  // 0: no HTTP answer (refused, timed out, blocked)
  std::int64_t latency_ms = 0;
  std::string error;    // empty on success
};

struct WebhookDeliveryRecord {
  std::int64_t id = 0;
  std::string event_id;
  std::string event_type;
  std::string payload;
  std::string endpoint_id;
  std::string status;  // pending | succeeded | failed
  int attempts = 0;
  std::int64_t next_attempt_at = 0;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> completed_at;
  std::vector<WebhookAttemptRecord> attempt_log;  // filled by list_deliveries only
};

// What one attempt decided for its delivery.
struct DeliveryOutcome {
  std::string status;  // pending (retry at next_attempt_at) | succeeded | failed (schedule exhausted)
  std::int64_t next_attempt_at = 0;
};

class WebhookRepository {
 public:
  virtual ~WebhookRepository() = default;
  virtual void insert_endpoint(const WebhookEndpointRecord& record) = 0;
  virtual std::optional<WebhookEndpointRecord> find_endpoint(const std::string& id) = 0;
  virtual std::pair<std::vector<WebhookEndpointRecord>, std::int64_t> list_endpoints(std::int64_t offset,
                                                                                      std::int64_t limit) = 0;
  // Writes every mutable column; false when the endpoint is gone.
  virtual bool update_endpoint(const WebhookEndpointRecord& record) = 0;
  virtual bool delete_endpoint(const std::string& id) = 0;

  // Up to `limit` due deliveries of enabled endpoints, leased to the caller until now + lease.
  virtual std::vector<WebhookDeliveryRecord> claim_due_deliveries(std::int64_t now, int limit,
                                                                  std::int64_t lease_seconds) = 0;
  // Records an attempt and its outcome in one transaction; a success also stamps the endpoint.
  virtual void record_attempt(const WebhookAttemptRecord& attempt, const DeliveryOutcome& outcome,
                              const std::string& endpoint_id) = 0;
  // Disables the endpoint unless it has succeeded since `since`; true when this call disabled it.
  virtual bool disable_failing_endpoint(const std::string& id, std::int64_t since, const std::string& reason,
                                        std::int64_t now) = 0;
  // The endpoint's deliveries, newest first, each with its attempts.
  virtual std::pair<std::vector<WebhookDeliveryRecord>, std::int64_t> list_deliveries(const std::string& endpoint_id,
                                                                                       std::int64_t offset,
                                                                                       std::int64_t limit) = 0;
  // A new pending delivery of the same event (same webhook-id and body); nullopt when unknown.
  virtual std::optional<std::int64_t> redeliver(const std::string& endpoint_id, std::int64_t delivery_id,
                                                std::int64_t now) = 0;
  // Writes events in a transaction of their own (an announcement of a change committed earlier).
  virtual void publish(std::vector<OutboxEvent> events) = 0;
  // Drops every lease (a single instance's start: none of them is held by a live worker).
  virtual void release_all_leases() = 0;
  virtual std::int64_t count_pending_deliveries() = 0;
};

}  // namespace archon::store
