// SqlIdentityStore: the hash-chained audit trail.
#include "store/sql/sql_identity_store.hpp"

namespace archon::store {
namespace {

#define ARCHON_AUDIT_COLUMNS \
  "seq, at, event, outcome, actor, user_id, request_id, client_address, user_agent, details, prev_hash, hash"

AuditEventRecord read_event(const sql::Row& row) {
  AuditEventRecord e;
  e.seq = row.int64(0);
  e.at = row.int64(1);
  e.event = row.text(2);
  e.outcome = row.text(3);
  e.actor = row.text(4);
  e.user_id = row.opt_text(5);
  e.request_id = row.text(6);
  e.client_address = row.text(7);
  e.user_agent = row.text(8);
  e.details = row.text(9);
  e.prev_hash = row.blob(10);
  e.hash = row.blob(11);
  return e;
}

}  // namespace

void SqlIdentityStore::append_audit(AuditEventRecord event) {
  std::vector<AuditEventRecord> one;
  one.push_back(std::move(event));
  append_audit_batch(std::move(one));
}

void SqlIdentityStore::append_audit_batch(std::vector<AuditEventRecord> events) {
  static const sql::Sql kHead("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
  static const sql::Sql kInsert(
      "INSERT INTO audit_events (seq, at, event, outcome, actor, user_id, request_id, client_address, user_agent, "
      "details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
  if (events.empty()) return;
  db_.transaction([&](sql::Connection& c) {
    // One appender at a time (across every instance): each links to the row the previous one
    // committed, read after the lock is granted, so never a stale head.
    c.lock(sql::Lock::kAuditChain);
    auto head = c.query(kHead);
    std::string prev_hash = head.empty() ? std::string(32, '\0') : head.row(0).blob(1);
    std::int64_t seq = head.empty() ? 0 : head.row(0).int64(0);
    for (AuditEventRecord e : events) {  // a copy: a retried transaction starts from the caller's events
      e.seq = ++seq;
      e.prev_hash = prev_hash;
      e.hash = audit_event_hash(e);
      c.query(kInsert, {e.seq, e.at, e.event, e.outcome, e.actor, e.user_id, e.request_id, e.client_address,
                        e.user_agent, e.details, sql::Value::blob(e.prev_hash), sql::Value::blob(e.hash)});
      prev_hash = e.hash;
    }
  });
}

std::pair<std::vector<AuditEventRecord>, std::int64_t> SqlIdentityStore::list_audit(const AuditQuery& q) {
  static const std::string kWhere =
      " WHERE (CAST($1 AS TEXT) IS NULL OR user_id = $1) AND (CAST($2 AS TEXT) IS NULL OR event = $2)"
      " AND (CAST($3 AS TEXT) IS NULL OR actor = $3) AND (CAST($4 AS TEXT) IS NULL OR outcome = $4)"
      " AND (CAST($5 AS BIGINT) IS NULL OR at >= $5) AND (CAST($6 AS BIGINT) IS NULL OR at < $6)";
  static const sql::Sql kCount("SELECT COUNT(*) FROM audit_events" + kWhere);
  static const sql::Sql kPage("SELECT " ARCHON_AUDIT_COLUMNS " FROM audit_events" + kWhere +
                              " ORDER BY seq DESC LIMIT $7 OFFSET $8");
  return db_.snapshot([&](sql::Connection& c) {
    std::int64_t total = c.query(kCount, {q.user_id, q.event, q.actor, q.outcome, q.since, q.until}).row(0).int64(0);
    std::vector<AuditEventRecord> out;
    for (auto row :
         c.query(kPage, {q.user_id, q.event, q.actor, q.outcome, q.since, q.until, q.limit, (q.page - 1) * q.limit}))
      out.push_back(read_event(row));
    return std::make_pair(std::move(out), total);
  });
}

std::vector<AuditEventRecord> SqlIdentityStore::all_audit_events() {
  static const sql::Sql kAll("SELECT " ARCHON_AUDIT_COLUMNS " FROM audit_events ORDER BY seq");
  return db_.read([&](sql::Connection& c) {
    std::vector<AuditEventRecord> out;
    for (auto row : c.query(kAll)) out.push_back(read_event(row));
    return out;
  });
}

#undef ARCHON_AUDIT_COLUMNS

}  // namespace archon::store
