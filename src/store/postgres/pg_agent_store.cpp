#include "store/postgres/pg_agent_store.hpp"

namespace archon::store {
namespace {

constexpr const char* kTokenColumns =
    "agent_id, jti, user_id, session_id, parent_agent_id, root_agent_id, depth, agent_type, capabilities, "
    "restrictions, created_at, expires_at, revoked_at";

AgentTokenRecord read_token(const PgRow& row) {
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

std::vector<AgentGrant> role_grants(PgConnection& c, const std::string& role) {
  // COLLATE "C": byte order, as SQLite sorts ('*' and '@common' before the type names).
  auto r = c.query("agent_grants_of_role",
                   "SELECT r.name, g.agent_type, g.capabilities FROM role_agent_grants g "
                   "JOIN roles r ON r.id = g.role_id WHERE r.name = $1 ORDER BY g.agent_type COLLATE \"C\"",
                   {role});
  std::vector<AgentGrant> out;
  for (auto row : r) out.push_back({row.text(0), row.text(1), row.text(2)});
  return out;
}

}  // namespace

std::vector<AgentGrant> PgAgentStore::grants_for_roles(const std::vector<std::string>& roles) {
  return db_.with_connection([&](PgConnection& c) {
    std::vector<AgentGrant> out;
    for (const auto& role : roles) {
      auto g = role_grants(c, role);
      out.insert(out.end(), g.begin(), g.end());
    }
    return out;
  });
}

std::vector<AgentGrant> PgAgentStore::grants_for_role(const std::string& role) {
  return db_.with_connection([&](PgConnection& c) { return role_grants(c, role); });
}

bool PgAgentStore::replace_grants(const std::string& role, const std::vector<AgentGrant>& grants) {
  return db_.transaction([&](PgConnection& c) {
    // Locking the role row makes two replacements of one role's grants run one after the other.
    auto find = c.query("role_lock", "SELECT id FROM roles WHERE name = $1 FOR NO KEY UPDATE", {role});
    if (find.empty()) return false;
    std::int64_t role_id = find.row(0).int64(0);
    c.query("agent_grants_clear", "DELETE FROM role_agent_grants WHERE role_id = $1", {role_id});
    for (const auto& g : grants)
      c.query("agent_grant_insert",
              "INSERT INTO role_agent_grants (role_id, agent_type, capabilities) VALUES ($1, $2, $3)",
              {role_id, g.agent_type, g.capabilities});
    return true;
  });
}

void PgAgentStore::insert_agent_token(const AgentTokenRecord& r) {
  db_.with_connection([&](PgConnection& c) {
    c.query("agent_token_insert",
            std::string("INSERT INTO agent_tokens (") + kTokenColumns +
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL)",
            {r.agent_id, r.jti, r.user_id, r.session_id, r.parent_agent_id, r.root_agent_id, r.depth, r.agent_type,
             r.capabilities, r.restrictions, r.created_at, r.expires_at});
  });
}

std::optional<AgentTokenRecord> PgAgentStore::find_agent_token(const std::string& agent_id) {
  return db_.with_connection([&](PgConnection& c) -> std::optional<AgentTokenRecord> {
    auto r = c.query("agent_token_find",
                     std::string("SELECT ") + kTokenColumns + " FROM agent_tokens WHERE agent_id = $1", {agent_id});
    if (r.empty()) return std::nullopt;
    return read_token(r.row(0));
  });
}

std::vector<AgentTokenRecord> PgAgentStore::live_agent_tokens(const std::string& user_id, std::int64_t now) {
  return db_.with_connection([&](PgConnection& c) {
    auto r = c.query("agent_tokens_live",
                     std::string("SELECT ") + kTokenColumns +
                         " FROM agent_tokens WHERE user_id = $1 AND expires_at > $2 AND revoked_at IS NULL "
                         "AND session_id IN (SELECT id FROM sessions WHERE revoked_at IS NULL) "
                         "ORDER BY root_agent_id COLLATE \"C\", depth, created_at",
                     {user_id, now});
    std::vector<AgentTokenRecord> out;
    for (auto row : r) out.push_back(read_token(row));
    return out;
  });
}

std::vector<std::pair<std::string, std::int64_t>> PgAgentStore::revoke_agent_lineage(const std::string& agent_id,
                                                                                     std::int64_t now) {
  return db_.with_connection([&](PgConnection& c) {
    // One statement: the walk and the update see the same snapshot of the lineage.
    auto r = c.query("agent_lineage_revoke",
                     "WITH RECURSIVE lineage(id) AS (SELECT $1::text UNION ALL SELECT t.agent_id FROM agent_tokens t "
                     "JOIN lineage l ON t.parent_agent_id = l.id), "
                     "revoked AS (UPDATE agent_tokens SET revoked_at = COALESCE(revoked_at, $2) "
                     "WHERE agent_id IN (SELECT id FROM lineage) RETURNING agent_id, expires_at, depth) "
                     "SELECT agent_id, expires_at FROM revoked ORDER BY depth, agent_id COLLATE \"C\"",
                     {agent_id, now});
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (auto row : r) out.emplace_back(row.text(0), row.int64(1));
    return out;
  });
}

}  // namespace archon::store
