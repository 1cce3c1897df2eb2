// PgIdentityStore: the hash-chained audit trail.
#include "store/postgres/pg_identity_store.hpp"

namespace archon::store {
namespace {

constexpr const char* kAuditColumns =
    "seq, at, event, outcome, actor, user_id, request_id, client_address, user_agent, details, prev_hash, hash";

AuditEventRecord read_event(const PgRow& row) {
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
  e.prev_hash = row.bytea(10);
  e.hash = row.bytea(11);
  return e;
}

}  // namespace

void PgIdentityStore::append_audit(AuditEventRecord event) {
  std::vector<AuditEventRecord> one;
  one.push_back(std::move(event));
  append_audit_batch(std::move(one));
}

void PgIdentityStore::append_audit_batch(std::vector<AuditEventRecord> events) {
  if (events.empty()) return;
  db_.transaction([&](PgConnection& c) {
    // One appender at a time across every instance: each links to the row the previous one
    // committed (read after the lock is granted, so never a stale head).
    lock_advisory(c, PgLock::kAuditChain);
    auto last = c.query("audit_head", "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
    std::string prev_hash = last.empty() ? std::string(32, '\0') : last.row(0).bytea(1);
    std::int64_t seq = last.empty() ? 0 : last.row(0).int64(0);
    for (AuditEventRecord e : events) {  // a copy: a retried transaction starts from the caller's events
      e.seq = ++seq;
      e.prev_hash = prev_hash;
      e.hash = audit_event_hash(e);
      c.query("audit_insert",
              "INSERT INTO audit_events (seq, at, event, outcome, actor, user_id, request_id, client_address, "
              "user_agent, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
              {e.seq, e.at, e.event, e.outcome, e.actor, e.user_id, e.request_id, e.client_address, e.user_agent,
               e.details, PgParam::bytea(e.prev_hash), PgParam::bytea(e.hash)});
      prev_hash = e.hash;
    }
  });
}

std::pair<std::vector<AuditEventRecord>, std::int64_t> PgIdentityStore::list_audit(const AuditQuery& q) {
  std::string where = " WHERE ($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR event = $2)";
  return db_.snapshot([&](PgConnection& c) {
    std::int64_t total =
        c.query("audit_count", "SELECT COUNT(*) FROM audit_events" + where, {q.user_id, q.event}).row(0).int64(0);
    auto r = c.query("audit_page",
                     std::string("SELECT ") + kAuditColumns + " FROM audit_events" + where +
                         " ORDER BY seq DESC LIMIT $3 OFFSET $4",
                     {q.user_id, q.event, q.limit, (q.page - 1) * q.limit});
    std::vector<AuditEventRecord> out;
    for (auto row : r) out.push_back(read_event(row));
    return std::make_pair(std::move(out), total);
  });
}

std::vector<AuditEventRecord> PgIdentityStore::all_audit_events() {
  return db_.with_connection([&](PgConnection& c) {
    auto r = c.query("audit_all", std::string("SELECT ") + kAuditColumns + " FROM audit_events ORDER BY seq");
    std::vector<AuditEventRecord> out;
    for (auto row : r) out.push_back(read_event(row));
    return out;
  });
}

}  // namespace archon::store
