#include "store/sqlite/sqlite_agent_store.hpp"

#include <sqlite3.h>

namespace archon::store {
namespace {

constexpr const char* kTokenColumns =
    "agent_id, jti, user_id, session_id, parent_agent_id, root_agent_id, depth, agent_type, capabilities, "
    "restrictions, created_at, expires_at, revoked_at";

AgentTokenRecord read_token(Statement& st) {
  AgentTokenRecord r;
  r.agent_id = st.column_text(0);
  r.jti = st.column_text(1);
  r.user_id = st.column_text(2);
  r.session_id = st.column_text(3);
  if (!st.column_is_null(4)) r.parent_agent_id = st.column_text(4);
  r.root_agent_id = st.column_text(5);
  r.depth = static_cast<int>(st.column_int(6));
  r.agent_type = st.column_text(7);
  r.capabilities = st.column_text(8);
  r.restrictions = st.column_text(9);
  r.created_at = st.column_int(10);
  r.expires_at = st.column_int(11);
  if (!st.column_is_null(12)) r.revoked_at = st.column_int(12);
  return r;
}

std::vector<AgentGrant> read_grants(Statement& st) {
  std::vector<AgentGrant> out;
  while (st.step()) out.push_back({st.column_text(0), st.column_text(1), st.column_text(2)});
  return out;
}

}  // namespace

std::vector<AgentGrant> SqliteAgentStore::grants_for_roles(const std::vector<std::string>& roles) {
  std::vector<AgentGrant> out;
  for (const auto& role : roles) {
    auto g = grants_for_role(role);
    out.insert(out.end(), g.begin(), g.end());
  }
  return out;
}

std::vector<AgentGrant> SqliteAgentStore::grants_for_role(const std::string& role) {
  return db_.with_connection([&](sqlite3* db) {
    Statement st(db,
                 "SELECT r.name, g.agent_type, g.capabilities FROM role_agent_grants g JOIN roles r ON r.id = g.role_id "
                 "WHERE r.name = ? ORDER BY g.agent_type");
    st.bind(1, role);
    return read_grants(st);
  });
}

bool SqliteAgentStore::replace_grants(const std::string& role, const std::vector<AgentGrant>& grants) {
  bool found = false;
  db_.transaction([&](sqlite3* db) {
    Statement find(db, "SELECT id FROM roles WHERE name = ?");
    find.bind(1, role);
    if (!find.step()) return;
    found = true;
    std::int64_t role_id = find.column_int(0);
    Statement(db, "DELETE FROM role_agent_grants WHERE role_id = ?").bind(1, role_id).run();
    for (const auto& g : grants)
      Statement(db, "INSERT INTO role_agent_grants (role_id, agent_type, capabilities) VALUES (?, ?, ?)")
          .bind(1, role_id)
          .bind(2, g.agent_type)
          .bind(3, g.capabilities)
          .run();
  });
  return found;
}

void SqliteAgentStore::insert_agent_token(const AgentTokenRecord& r) {
  db_.transaction([&](sqlite3* db) {
    Statement st(db, std::string("INSERT INTO agent_tokens (") + kTokenColumns +
                         ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)");
    st.bind(1, r.agent_id).bind(2, r.jti).bind(3, r.user_id).bind(4, r.session_id);
    if (r.parent_agent_id) st.bind(5, *r.parent_agent_id);
    else st.bind_null(5);
    st.bind(6, r.root_agent_id)
        .bind(7, std::int64_t{r.depth})
        .bind(8, r.agent_type)
        .bind(9, r.capabilities)
        .bind(10, r.restrictions)
        .bind(11, r.created_at)
        .bind(12, r.expires_at)
        .run();
  });
}

std::optional<AgentTokenRecord> SqliteAgentStore::find_agent_token(const std::string& agent_id) {
  return db_.with_connection([&](sqlite3* db) -> std::optional<AgentTokenRecord> {
    Statement st(db, std::string("SELECT ") + kTokenColumns + " FROM agent_tokens WHERE agent_id = ?");
    st.bind(1, agent_id);
    if (!st.step()) return std::nullopt;
    return read_token(st);
  });
}

std::vector<AgentTokenRecord> SqliteAgentStore::live_agent_tokens(const std::string& user_id, std::int64_t now) {
  return db_.with_connection([&](sqlite3* db) {
    Statement st(db, std::string("SELECT ") + kTokenColumns +
                         " FROM agent_tokens WHERE user_id = ? AND expires_at > ? AND revoked_at IS NULL "
                         "AND session_id IN (SELECT id FROM sessions WHERE revoked_at IS NULL) "
                         "ORDER BY root_agent_id, depth, created_at");
    st.bind(1, user_id).bind(2, now);
    std::vector<AgentTokenRecord> out;
    while (st.step()) out.push_back(read_token(st));
    return out;
  });
}

std::vector<std::pair<std::string, std::int64_t>> SqliteAgentStore::revoke_agent_lineage(const std::string& agent_id,
                                                                                         std::int64_t now) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  db_.transaction([&](sqlite3* db) {
    Statement st(db,
                 "WITH RECURSIVE lineage(id) AS (SELECT ? UNION ALL SELECT t.agent_id FROM agent_tokens t "
                 "JOIN lineage l ON t.parent_agent_id = l.id) "
                 "UPDATE agent_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE agent_id IN (SELECT id FROM lineage) "
                 "RETURNING agent_id, expires_at");
    st.bind(1, agent_id).bind(2, now);
    while (st.step()) out.emplace_back(st.column_text(0), st.column_int(1));
  });
  return out;
}

}  // namespace archon::store
