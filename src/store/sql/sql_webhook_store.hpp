// Webhook endpoints and deliveries, one body of SQL for both backends; also the database's
// outbox writer (write_events), which fans each staged event out to the subscribed endpoints
// inside the committing transaction. Thread-safe.
#pragma once
#include "store/sql/sql.hpp"
#include "store/webhook_repository.hpp"

namespace archon::store {

class SqlWebhookStore final : public WebhookRepository {
 public:
  // Installs write_events as `db`'s outbox writer.
  explicit SqlWebhookStore(sql::Database& db);

  // One delivery per enabled endpoint subscribed to each event's type; nothing when none is.
  static void write_events(sql::Connection& c, const std::vector<OutboxEvent>& events);

  void insert_endpoint(const WebhookEndpointRecord& record) override;
  std::optional<WebhookEndpointRecord> find_endpoint(const std::string& id) override;
  std::pair<std::vector<WebhookEndpointRecord>, std::int64_t> list_endpoints(std::int64_t offset,
                                                                              std::int64_t limit) override;
  bool update_endpoint(const WebhookEndpointRecord& record) override;
  bool delete_endpoint(const std::string& id) override;
  std::vector<WebhookDeliveryRecord> claim_due_deliveries(std::int64_t now, int limit,
                                                          std::int64_t lease_seconds) override;
  void record_attempt(const WebhookAttemptRecord& attempt, const DeliveryOutcome& outcome,
                      const std::string& endpoint_id) override;
  bool disable_failing_endpoint(const std::string& id, std::int64_t since, const std::string& reason,
                                std::int64_t now) override;
  std::pair<std::vector<WebhookDeliveryRecord>, std::int64_t> list_deliveries(const std::string& endpoint_id,
                                                                               std::int64_t offset,
                                                                               std::int64_t limit) override;
  std::optional<std::int64_t> redeliver(const std::string& endpoint_id, std::int64_t delivery_id,
                                        std::int64_t now) override;
  void publish(std::vector<OutboxEvent> events) override;
  void release_all_leases() override;
  std::int64_t count_pending_deliveries() override;

 private:
  sql::Database& db_;
};

}  // namespace archon::store
