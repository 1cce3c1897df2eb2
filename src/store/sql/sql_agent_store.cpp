#include "store/sql/sql_agent_store.hpp"

#include <algorithm>
#include <tuple>

namespace archon::store {
namespace {

#define ARCHON_AGENT_TOKEN_COLUMNS                                                                       \
  "agent_id, jti, user_id, session_id, parent_agent_id, root_agent_id, depth, agent_type, capabilities, " \
  "restrictions, created_at, expires_at, revoked_at"

AgentTokenRecord read_token(const sql::Row& row) {
  AgentTokenRecord r;
  r.agent_id = row.text(0);
  r.jti = row.text(1);
  r.user_id = row.text(2);
  r.session_id = row.text(3);
  r.parent_agent_id = row.opt_text(4);
  r.root_agent_id = row.text(5);
  r.depth = static_cast<int>(row.int64(6));
  r.agent_type = row.text(7);
  r.capabilities = row.text(8);
  r.restrictions = row.text(9);
  r.created_at = row.int64(10);
  r.expires_at = row.int64(11);
  r.revoked_at = row.opt_int64(12);
  return r;
}

std::vector<AgentGrant> role_grants(sql::Connection& c, const std::string& role) {
  // Byte order ('*' and '@common' before the type names), whatever the database's locale.
  static const sql::Sql kGrants(
      "SELECT r.name, g.agent_type, g.capabilities FROM role_agent_grants g "
      "JOIN roles r ON r.id = g.role_id WHERE r.name = $1 ORDER BY g.agent_type{bytes}");
  std::vector<AgentGrant> out;
  for (auto row : c.query(kGrants, {role})) out.push_back({row.text(0), row.text(1), row.text(2)});
  return out;
}

}  // namespace

std::vector<AgentGrant> SqlAgentStore::grants_for_roles(const std::vector<std::string>& roles) {
  return db_.read([&](sql::Connection& c) {
    std::vector<AgentGrant> out;
    for (const auto& role : roles) {
      auto g = role_grants(c, role);
      out.insert(out.end(), g.begin(), g.end());
    }
    return out;
  });
}

std::vector<AgentGrant> SqlAgentStore::grants_for_role(const std::string& role) {
  return db_.read([&](sql::Connection& c) { return role_grants(c, role); });
}

bool SqlAgentStore::replace_grants(const std::string& role, const std::vector<AgentGrant>& grants) {
  // Locking the role row makes two replacements of one role's grants run one after the other.
  static const sql::Sql kLockRole("SELECT id FROM roles WHERE name = $1{lock_row}");
  static const sql::Sql kClear("DELETE FROM role_agent_grants WHERE role_id = $1");
  static const sql::Sql kInsert("INSERT INTO role_agent_grants (role_id, agent_type, capabilities) VALUES ($1, $2, $3)");
  return db_.transaction([&](sql::Connection& c) {
    auto find = c.query(kLockRole, {role});
    if (find.empty()) return false;
    std::int64_t role_id = find.row(0).int64(0);
    c.query(kClear, {role_id});
    for (const auto& g : grants) c.query(kInsert, {role_id, g.agent_type, g.capabilities});
    return true;
  });
}

void SqlAgentStore::insert_agent_token(const AgentTokenRecord& r) {
  static const sql::Sql kInsert("INSERT INTO agent_tokens (" ARCHON_AGENT_TOKEN_COLUMNS
                                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL)");
  db_.write([&](sql::Connection& c) {
    c.query(kInsert, {r.agent_id, r.jti, r.user_id, r.session_id, r.parent_agent_id, r.root_agent_id, r.depth,
                      r.agent_type, r.capabilities, r.restrictions, r.created_at, r.expires_at});
  });
}

std::optional<AgentTokenRecord> SqlAgentStore::find_agent_token(const std::string& agent_id) {
  static const sql::Sql kFind("SELECT " ARCHON_AGENT_TOKEN_COLUMNS " FROM agent_tokens WHERE agent_id = $1");
  return db_.read([&](sql::Connection& c) -> std::optional<AgentTokenRecord> {
    auto r = c.query(kFind, {agent_id});
    if (r.empty()) return std::nullopt;
    return read_token(r.row(0));
  });
}

std::vector<AgentTokenRecord> SqlAgentStore::live_agent_tokens(const std::string& user_id, std::int64_t now) {
  static const sql::Sql kLive("SELECT " ARCHON_AGENT_TOKEN_COLUMNS
                              " FROM agent_tokens WHERE user_id = $1 AND expires_at > $2 AND revoked_at IS NULL "
                              "AND session_id IN (SELECT id FROM sessions WHERE revoked_at IS NULL) "
                              "ORDER BY root_agent_id{bytes}, depth, created_at");
  return db_.read([&](sql::Connection& c) {
    std::vector<AgentTokenRecord> out;
    for (auto row : c.query(kLive, {user_id, now})) out.push_back(read_token(row));
    return out;
  });
}

std::vector<AgentTokenRecord> SqlAgentStore::live_agent_tokens_where(const std::optional<std::string>& user_id,
                                                                     const std::optional<std::string>& agent_type,
                                                                     std::int64_t now, std::int64_t limit) {
  static const sql::Sql kLive("SELECT " ARCHON_AGENT_TOKEN_COLUMNS
                              " FROM agent_tokens WHERE (CAST($1 AS TEXT) IS NULL OR user_id = $1) "
                              "AND (CAST($2 AS TEXT) IS NULL OR agent_type = $2) AND expires_at > $3 "
                              "AND revoked_at IS NULL AND session_id IN (SELECT id FROM sessions WHERE revoked_at IS NULL) "
                              "ORDER BY root_agent_id{bytes}, depth, created_at LIMIT $4");
  return db_.read([&](sql::Connection& c) {
    std::vector<AgentTokenRecord> out;
    for (auto row : c.query(kLive, {user_id, agent_type, now, limit})) out.push_back(read_token(row));
    return out;
  });
}

std::vector<std::pair<std::string, std::int64_t>> SqlAgentStore::revoke_agent_lineage(const std::string& agent_id,
                                                                                       std::int64_t now) {
  // One statement: the walk and the update see the same snapshot of the lineage.
  static const sql::Sql kRevoke(
      "UPDATE agent_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE agent_id IN ("
      "WITH RECURSIVE lineage(id) AS (SELECT CAST($1 AS TEXT) UNION ALL SELECT t.agent_id FROM agent_tokens t "
      "JOIN lineage l ON t.parent_agent_id = l.id) SELECT id FROM lineage) "
      "RETURNING agent_id, expires_at, depth");
  auto revoked = db_.write([&](sql::Connection& c) {
    std::vector<std::tuple<std::int64_t, std::string, std::int64_t>> rows;
    for (auto row : c.query(kRevoke, {agent_id, now})) rows.emplace_back(row.int64(2), row.text(0), row.int64(1));
    if (rows.empty()) EventScope::cancel();  // no such token: nothing was revoked
    return rows;
  });
  std::sort(revoked.begin(), revoked.end());  // RETURNING promises no order: by depth, then id
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (auto& [depth, id, expires] : revoked) out.emplace_back(std::move(id), expires);
  return out;
}

#undef ARCHON_AGENT_TOKEN_COLUMNS

}  // namespace archon::store
