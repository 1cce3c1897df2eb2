// Agent grants per role and the record of minted agent tokens (lineage, listing, revocation).
// Backend-neutral; each method is atomic. Implementations are thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace archon::store {

struct AgentGrant {
  std::string role;
  std::string agent_type;    // catalog type, "*" or "@common"
  std::string capabilities;  // JSON array text; ["*"] = everything the type allows
};

struct AgentTokenRecord {
  std::string agent_id;
  std::string jti;
  std::string user_id;
  std::string session_id;
  std::optional<std::string> parent_agent_id;
  std::string root_agent_id;
  int depth = 0;
  std::string agent_type;
  std::string capabilities;  // JSON array text
  std::string restrictions;  // JSON object text
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  std::optional<std::int64_t> revoked_at;
};

class AgentStore {
 public:
  virtual ~AgentStore() = default;
  virtual std::vector<AgentGrant> grants_for_roles(const std::vector<std::string>& roles) = 0;
  virtual std::vector<AgentGrant> grants_for_role(const std::string& role) = 0;
  // Replaces a role's grants; false if the role does not exist.
  virtual bool replace_grants(const std::string& role, const std::vector<AgentGrant>& grants) = 0;

  virtual void insert_agent_token(const AgentTokenRecord& record) = 0;
  virtual std::optional<AgentTokenRecord> find_agent_token(const std::string& agent_id) = 0;
  virtual std::vector<AgentTokenRecord> live_agent_tokens(const std::string& user_id, std::int64_t now) = 0;
  // Live tokens of every user (administrators), optionally of one user and/or agent type; at
  // most `limit`, grouped by lineage like live_agent_tokens.
  virtual std::vector<AgentTokenRecord> live_agent_tokens_where(const std::optional<std::string>& user_id,
                                                                const std::optional<std::string>& agent_type,
                                                                std::int64_t now, std::int64_t limit) = 0;
  // Marks the token and every descendant revoked; returns their (agent_id, expires_at).
  virtual std::vector<std::pair<std::string, std::int64_t>> revoke_agent_lineage(const std::string& agent_id,
                                                                                 std::int64_t now) = 0;
};

}  // namespace archon::store
