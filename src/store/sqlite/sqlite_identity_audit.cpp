// SqliteIdentityStore: the hash-chained audit trail.
#include <sqlite3.h>

#include "store/sqlite/sqlite_identity_store.hpp"

namespace archon::store {
namespace {

constexpr const char* kAuditColumns =
    "seq, at, event, outcome, actor, user_id, request_id, client_address, user_agent, details, prev_hash, hash";

AuditEventRecord read_event(Statement& st) {
  AuditEventRecord e;
  e.seq = st.column_int(0);
  e.at = st.column_int(1);
  e.event = st.column_text(2);
  e.outcome = st.column_text(3);
  e.actor = st.column_text(4);
  if (!st.column_is_null(5)) e.user_id = st.column_text(5);
  e.request_id = st.column_text(6);
  e.client_address = st.column_text(7);
  e.user_agent = st.column_text(8);
  e.details = st.column_text(9);
  e.prev_hash = st.column_blob(10);
  e.hash = st.column_blob(11);
  return e;
}

}  // namespace

void SqliteIdentityStore::append_audit(AuditEventRecord e) {
  std::vector<AuditEventRecord> one;
  one.push_back(std::move(e));
  append_audit_batch(std::move(one));
}

void SqliteIdentityStore::append_audit_batch(std::vector<AuditEventRecord> events) {
  if (events.empty()) return;
  db_.transaction([&](sqlite3* db) {
    Statement last(db, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
    std::string prev_hash = last.step() ? last.column_blob(1) : std::string(32, '\0');
    std::int64_t seq = last.column_int(0);  // AUTOINCREMENT with no deletes: the next is seq + 1
    Statement ins(db,
                  "INSERT INTO audit_events (seq, at, event, outcome, actor, user_id, request_id, client_address, "
                  "user_agent, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (auto& e : events) {
      e.seq = ++seq;
      e.prev_hash = prev_hash;
      e.hash = audit_event_hash(e);
      ins.reset();
      ins.bind(1, e.seq).bind(2, e.at).bind(3, e.event).bind(4, e.outcome).bind(5, e.actor);
      if (e.user_id) ins.bind(6, *e.user_id);
      else ins.bind_null(6);
      ins.bind(7, e.request_id).bind(8, e.client_address).bind(9, e.user_agent).bind(10, e.details);
      ins.bind_blob(11, e.prev_hash).bind_blob(12, e.hash).run();
      prev_hash = e.hash;
    }
  });
}

std::pair<std::vector<AuditEventRecord>, std::int64_t> SqliteIdentityStore::list_audit(const AuditQuery& q) {
  std::string where = " WHERE (? IS NULL OR user_id = ?) AND (? IS NULL OR event = ?)";
  auto bind = [&](Statement& st) {
    if (q.user_id) st.bind(1, *q.user_id).bind(2, *q.user_id);
    else st.bind_null(1).bind_null(2);
    if (q.event) st.bind(3, *q.event).bind(4, *q.event);
    else st.bind_null(3).bind_null(4);
  };
  return db_.with_connection([&](sqlite3* db) {
    Statement count(db, "SELECT COUNT(*) FROM audit_events" + where);
    bind(count);
    count.step();
    std::int64_t total = count.column_int(0);
    Statement st(db, std::string("SELECT ") + kAuditColumns + " FROM audit_events" + where +
                         " ORDER BY seq DESC LIMIT ? OFFSET ?");
    bind(st);
    st.bind(5, q.limit).bind(6, (q.page - 1) * q.limit);
    std::vector<AuditEventRecord> out;
    while (st.step()) out.push_back(read_event(st));
    return std::make_pair(std::move(out), total);
  });
}

std::vector<AuditEventRecord> SqliteIdentityStore::all_audit_events() {
  return db_.with_connection([&](sqlite3* db) {
    Statement st(db, std::string("SELECT ") + kAuditColumns + " FROM audit_events ORDER BY seq");
    std::vector<AuditEventRecord> out;
    while (st.step()) out.push_back(read_event(st));
    return out;
  });
}

}  // namespace archon::store
