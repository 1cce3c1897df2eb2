#include "store/sql/sql_webhook_store.hpp"

#include "store/sql/word_list.hpp"

#include <algorithm>

namespace archon::store {
namespace {

constexpr const char* kEndpointColumns =
    "id, url, description, event_types, enabled, secret_sealed, previous_secret_sealed, previous_secret_expires_at, "
    "created_at, updated_at, disabled_reason, last_success_at";
constexpr const char* kDeliveryColumns =
    "id, event_id, event_type, payload, endpoint_id, status, attempts, next_attempt_at, created_at, completed_at";

WebhookEndpointRecord read_endpoint(const sql::Row& row) {
  WebhookEndpointRecord r;
  r.id = row.text(0);
  r.url = row.text(1);
  r.description = row.text(2);
  r.event_types = sql::split_words(row.text(3));
  r.enabled = row.boolean(4);
  r.secret_sealed = row.blob(5);
  if (!row.is_null(6)) r.previous_secret_sealed = row.blob(6);
  r.previous_secret_expires_at = row.opt_int64(7);
  r.created_at = row.int64(8);
  r.updated_at = row.int64(9);
  r.disabled_reason = row.opt_text(10);
  r.last_success_at = row.opt_int64(11);
  return r;
}

WebhookDeliveryRecord read_delivery(const sql::Row& row) {
  WebhookDeliveryRecord d;
  d.id = row.int64(0);
  d.event_id = row.text(1);
  d.event_type = row.text(2);
  d.payload = row.text(3);
  d.endpoint_id = row.text(4);
  d.status = row.text(5);
  d.attempts = static_cast<int>(row.int64(6));
  d.next_attempt_at = row.int64(7);
  d.created_at = row.int64(8);
  d.completed_at = row.opt_int64(9);
  return d;
}

}  // namespace

SqlWebhookStore::SqlWebhookStore(sql::Database& db) : db_(db) { db_.set_outbox_writer(&SqlWebhookStore::write_events); }

void SqlWebhookStore::write_events(sql::Connection& c, const std::vector<OutboxEvent>& events) {
  static const sql::Sql kFanOut(
      "INSERT INTO webhook_deliveries (event_id, event_type, payload, endpoint_id, status, attempts, next_attempt_at, "
      "created_at) SELECT $1, $2, $3, id, 'pending', 0, CAST($4 AS BIGINT), CAST($4 AS BIGINT) FROM webhook_endpoints "
      "WHERE enabled AND ({instr}(event_types, $5) > 0 OR event_types = ' * ')");
  for (const auto& e : events) c.query(kFanOut, {e.id, e.type, e.payload, e.created_at, " " + e.type + " "});
}

void SqlWebhookStore::insert_endpoint(const WebhookEndpointRecord& r) {
  static const sql::Sql kInsert(
      "INSERT INTO webhook_endpoints (id, url, description, event_types, enabled, secret_sealed, created_at, "
      "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)");
  db_.write([&](sql::Connection& c) {
    c.query(kInsert, {r.id, r.url, r.description, sql::join_words(r.event_types, true), r.enabled, sql::Value::blob(r.secret_sealed),
                      r.created_at});
  });
}

std::optional<WebhookEndpointRecord> SqlWebhookStore::find_endpoint(const std::string& id) {
  static const sql::Sql kFind(std::string("SELECT ") + kEndpointColumns + " FROM webhook_endpoints WHERE id = $1");
  return db_.read([&](sql::Connection& c) -> std::optional<WebhookEndpointRecord> {
    auto rows = c.query(kFind, {id});
    if (rows.empty()) return std::nullopt;
    return read_endpoint(rows.row(0));
  });
}

std::pair<std::vector<WebhookEndpointRecord>, std::int64_t> SqlWebhookStore::list_endpoints(std::int64_t offset,
                                                                                             std::int64_t limit) {
  static const sql::Sql kCount("SELECT COUNT(*) FROM webhook_endpoints");
  static const sql::Sql kPage(std::string("SELECT ") + kEndpointColumns +
                              " FROM webhook_endpoints ORDER BY created_at DESC, id{bytes} DESC LIMIT $1 OFFSET $2");
  return db_.snapshot([&](sql::Connection& c) {
    std::pair<std::vector<WebhookEndpointRecord>, std::int64_t> out;
    out.second = c.query(kCount).row(0).int64(0);
    for (auto row : c.query(kPage, {limit, offset})) out.first.push_back(read_endpoint(row));
    return out;
  });
}

bool SqlWebhookStore::update_endpoint(const WebhookEndpointRecord& r) {
  static const sql::Sql kUpdate(
      "UPDATE webhook_endpoints SET url = $2, description = $3, event_types = $4, enabled = $5, secret_sealed = $6, "
      "previous_secret_sealed = $7, previous_secret_expires_at = $8, updated_at = $9, disabled_reason = $10 "
      "WHERE id = $1");
  return db_.write([&](sql::Connection& c) {
    return c.query(kUpdate, {r.id, r.url, r.description, sql::join_words(r.event_types, true), r.enabled,
                             sql::Value::blob(r.secret_sealed), sql::Value::blob(r.previous_secret_sealed),
                             r.previous_secret_expires_at, r.updated_at, r.disabled_reason})
               .affected() > 0;
  });
}

bool SqlWebhookStore::delete_endpoint(const std::string& id) {
  static const sql::Sql kAttempts(
      "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)");
  static const sql::Sql kDeliveries("DELETE FROM webhook_deliveries WHERE endpoint_id = $1");
  static const sql::Sql kEndpoint("DELETE FROM webhook_endpoints WHERE id = $1");
  return db_.transaction([&](sql::Connection& c) {
    c.query(kAttempts, {id});
    c.query(kDeliveries, {id});
    return c.query(kEndpoint, {id}).affected() > 0;
  });
}

std::vector<WebhookDeliveryRecord> SqlWebhookStore::claim_due_deliveries(std::int64_t now, int limit,
                                                                        std::int64_t lease_seconds) {
  static const sql::Sql kClaim(
      std::string("UPDATE webhook_deliveries SET lease_until = $1 + $3 WHERE id IN ("
                  "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 "
                  "AND (lease_until IS NULL OR lease_until <= $1) "
                  "AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE enabled) "
                  "ORDER BY next_attempt_at, id LIMIT $2{skip_locked}) RETURNING ") +
      kDeliveryColumns);
  auto out = db_.write([&](sql::Connection& c) {
    std::vector<WebhookDeliveryRecord> claimed;
    for (auto row : c.query(kClaim, {now, limit, lease_seconds})) claimed.push_back(read_delivery(row));
    return claimed;
  });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

void SqlWebhookStore::record_attempt(const WebhookAttemptRecord& a, const DeliveryOutcome& outcome,
                                     const std::string& endpoint_id) {
  static const sql::Sql kAttempt(
      "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, latency_ms, error) "
      "VALUES ($1, $2, $3, $4, $5, $6)");
  static const sql::Sql kDelivery(
      "UPDATE webhook_deliveries SET attempts = $2, status = $3, next_attempt_at = $4, lease_until = NULL, "
      "completed_at = $5 WHERE id = $1");
  static const sql::Sql kSuccess(
      "UPDATE webhook_endpoints SET last_success_at = {greatest}(COALESCE(last_success_at, 0), $2) WHERE id = $1");
  bool done = outcome.status != "pending";
  db_.transaction([&](sql::Connection& c) {
    c.query(kAttempt, {a.delivery_id, a.attempt, a.at, a.status_code, a.latency_ms, a.error});
    c.query(kDelivery, {a.delivery_id, a.attempt, outcome.status, outcome.next_attempt_at,
                        done ? std::optional<std::int64_t>(a.at) : std::nullopt});
    if (outcome.status == "succeeded") c.query(kSuccess, {endpoint_id, a.at});
  });
}

bool SqlWebhookStore::disable_failing_endpoint(const std::string& id, std::int64_t since, const std::string& reason,
                                               std::int64_t now) {
  static const sql::Sql kDisable(
      "UPDATE webhook_endpoints SET enabled = $4, disabled_reason = $3, updated_at = $5 "
      "WHERE id = $1 AND enabled AND (last_success_at IS NULL OR last_success_at < $2)");
  return db_.write([&](sql::Connection& c) { return c.query(kDisable, {id, since, reason, false, now}).affected() > 0; });
}

std::pair<std::vector<WebhookDeliveryRecord>, std::int64_t> SqlWebhookStore::list_deliveries(
    const std::string& endpoint_id, std::int64_t offset, std::int64_t limit) {
  static const sql::Sql kCount("SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = $1");
  static const sql::Sql kPage(std::string("SELECT ") + kDeliveryColumns +
                              " FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3");
  static const sql::Sql kAttempts(
      "SELECT delivery_id, attempt, at, status_code, latency_ms, error FROM webhook_attempts "
      "WHERE delivery_id = $1 ORDER BY attempt");
  return db_.snapshot([&](sql::Connection& c) {
    std::pair<std::vector<WebhookDeliveryRecord>, std::int64_t> out;
    out.second = c.query(kCount, {endpoint_id}).row(0).int64(0);
    for (auto row : c.query(kPage, {endpoint_id, limit, offset})) out.first.push_back(read_delivery(row));
    for (auto& d : out.first)
      for (auto row : c.query(kAttempts, {d.id}))
        d.attempt_log.push_back({row.int64(0), static_cast<int>(row.int64(1)), row.int64(2),
                                 static_cast<int>(row.int64(3)), row.int64(4), row.text(5)});
    return out;
  });
}

std::optional<std::int64_t> SqlWebhookStore::redeliver(const std::string& endpoint_id, std::int64_t delivery_id,
                                                       std::int64_t now) {
  static const sql::Sql kCopy(
      "INSERT INTO webhook_deliveries (event_id, event_type, payload, endpoint_id, status, attempts, next_attempt_at, "
      "created_at) SELECT event_id, event_type, payload, endpoint_id, 'pending', 0, CAST($3 AS BIGINT), CAST($3 AS BIGINT) "
      "FROM webhook_deliveries "
      "WHERE id = $2 AND endpoint_id = $1 RETURNING id");
  return db_.write([&](sql::Connection& c) -> std::optional<std::int64_t> {
    auto rows = c.query(kCopy, {endpoint_id, delivery_id, now});
    if (rows.empty()) return std::nullopt;
    return rows.row(0).int64(0);
  });
}

void SqlWebhookStore::publish(std::vector<OutboxEvent> events) {
  if (events.empty()) return;
  db_.transaction([&](sql::Connection& c) { write_events(c, events); });
}

void SqlWebhookStore::release_all_leases() {
  static const sql::Sql kRelease("UPDATE webhook_deliveries SET lease_until = NULL WHERE lease_until IS NOT NULL");
  db_.write([&](sql::Connection& c) { c.query(kRelease); });
}

std::int64_t SqlWebhookStore::count_pending_deliveries() {
  static const sql::Sql kCount("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'");
  return db_.read([&](sql::Connection& c) { return c.query(kCount).row(0).int64(0); });
}

}  // namespace archon::store
