// AgentStore (role grants, minted agent tokens and their lineage), one body of SQL for both
// backends. Thread-safe.
#pragma once
#include "store/agent_store.hpp"
#include "store/sql/sql.hpp"

namespace archon::store {

class SqlAgentStore final : public AgentStore {
 public:
  explicit SqlAgentStore(sql::Database& db) : db_(db) {}
  std::vector<AgentGrant> grants_for_roles(const std::vector<std::string>& roles) override;
  std::vector<AgentGrant> grants_for_role(const std::string& role) override;
  bool replace_grants(const std::string& role, const std::vector<AgentGrant>& grants) override;

  void insert_agent_token(const AgentTokenRecord& record) override;
  std::optional<AgentTokenRecord> find_agent_token(const std::string& agent_id) override;
  std::vector<AgentTokenRecord> live_agent_tokens(const std::string& user_id, std::int64_t now) override;
  std::vector<AgentTokenRecord> live_agent_tokens_where(const std::optional<std::string>& user_id,
                                                        const std::optional<std::string>& agent_type, std::int64_t now,
                                                        std::int64_t limit) override;
  std::vector<std::pair<std::string, std::int64_t>> revoke_agent_lineage(const std::string& agent_id,
                                                                         std::int64_t now) override;

 private:
  sql::Database& db_;
};

}  // namespace archon::store
