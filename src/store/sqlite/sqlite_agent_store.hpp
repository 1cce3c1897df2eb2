// AgentStore on the embedded SQLite database. Thread-safe.
#pragma once
#include "store/agent_store.hpp"
#include "store/sqlite/sqlite_database.hpp"

namespace archon::store {

class SqliteAgentStore final : public AgentStore {
 public:
  explicit SqliteAgentStore(SqliteDatabase& db) : db_(db) {}
  std::vector<AgentGrant> grants_for_roles(const std::vector<std::string>& roles) override;
  std::vector<AgentGrant> grants_for_role(const std::string& role) override;
  bool replace_grants(const std::string& role, const std::vector<AgentGrant>& grants) override;
  void insert_agent_token(const AgentTokenRecord& record) override;
  std::optional<AgentTokenRecord> find_agent_token(const std::string& agent_id) override;
  std::vector<AgentTokenRecord> live_agent_tokens(const std::string& user_id, std::int64_t now) override;
  std::vector<std::pair<std::string, std::int64_t>> revoke_agent_lineage(const std::string& agent_id,
                                                                         std::int64_t now) override;

 private:
  SqliteDatabase& db_;
};

}  // namespace archon::store
