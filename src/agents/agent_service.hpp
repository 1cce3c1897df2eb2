// Agent capability tokens: who may run which agent type, minting a token with exactly the
// capabilities that are granted (and why the rest are not), delegating a narrower token to a
// sub-agent, checking an action against a token (the spec's CapabilityValidator), and revoking
// a token with its descendants. No HTTP in here. Thread-safe.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "agents/catalog.hpp"
#include "agents/restrictions.hpp"
#include "audit/audit_log.hpp"
#include "core/expiring_cache.hpp"
#include "core/config.hpp"
#include "core/errors.hpp"
#include "core/expected.hpp"
#include "observability/metrics.hpp"
#include "store/agent_store.hpp"
#include "store/identity_store.hpp"
#include "tokens/token_service.hpp"

namespace archon::agents {

struct AuthenticateRequest {
  std::string agent_type;
  std::vector<std::string> capabilities_requested;
  boost::json::object task_context;
};

struct MintedAgentToken {
  std::string agent_token;
  std::string agent_id;
  std::vector<std::string> granted;
  std::vector<std::pair<std::string, std::string>> denied;  // capability, reason
  std::int64_t expires_in = 0;
  boost::json::object restrictions;
};

struct DelegateRequest {
  std::string agent_type;
  std::vector<std::string> capabilities_requested;
  std::optional<boost::json::object> restrictions;
  boost::json::object task_context;
};

struct VerifyDecision {
  bool allowed = false;
  std::string reason;
  std::string agent_id;
  std::string agent_type;
};

class AgentService {
 public:
  AgentService(const AgentCatalog& catalog, store::AgentStore& agents, store::IdentityStore& users,
               tokens::TokenService& tokens, audit::AuditLog& audit, observability::Metrics& metrics,
               int max_delegation_depth);

  // The agent types `user_id` may run now, from their current roles.
  std::vector<std::string> runnable_types(const std::string& user_id);
  std::vector<std::string> runnable_types_for_roles(const std::vector<std::string>& roles);

  Expected<MintedAgentToken, ApiError> authenticate(const tokens::VerifiedToken& user, const AuthenticateRequest& request,
                                                    const audit::RequestInfo& info);
  Expected<MintedAgentToken, ApiError> delegate(const tokens::VerifiedToken& parent, const DelegateRequest& request,
                                                const audit::RequestInfo& info);
  // `token` is verified here; an invalid one is a refusal with reason "token_invalid".
  VerifyDecision verify(std::string_view token, const std::string& capability, const Resource& resource,
                        const audit::RequestInfo& info);
  // The same for a token the caller has just verified as an agent token (an agent asking about
  // itself authenticated with it): the decision and its audit event, without verifying it twice.
  VerifyDecision verify(const tokens::VerifiedToken& agent, const std::string& capability, const Resource& resource,
                        const audit::RequestInfo& info);
  // The user's live agent tokens (not expired, not revoked, session live), roots first.
  std::vector<store::AgentTokenRecord> list_tokens(const std::string& user_id);
  // Administrators: live tokens across users (at most kAdminListLimit), optionally filtered.
  static constexpr std::int64_t kAdminListLimit = 1000;
  std::vector<store::AgentTokenRecord> list_all_tokens(const std::optional<std::string>& user_id,
                                                       const std::optional<std::string>& agent_type);
  // The kill switch: revokes every live agent token of a user and/or an agent type, each with
  // its descendants, at once on every instance; returns how many tokens it revoked.
  std::size_t revoke_all(const std::string& actor, const std::optional<std::string>& user_id,
                         const std::optional<std::string>& agent_type, const audit::RequestInfo& info);
  // False when the token is not the user's.
  bool revoke(const std::string& user_id, const std::string& agent_id, const audit::RequestInfo& info);
  // An administrator revokes any user's token and its subtree; nullopt when there is no such token.
  std::optional<std::size_t> revoke_for_admin(const std::string& actor, const std::string& agent_id,
                                              const audit::RequestInfo& info);
  // Revokes `agent_id` and every descendant, durably and in every instance's deny-list at once;
  // returns how many tokens that covered (0: unknown).
  std::size_t revoke_lineage(const std::string& agent_id);

  // A role's agent grants, and their replacement by an administrator (audited); false when the
  // role does not exist.
  std::vector<store::AgentGrant> role_grants(const std::string& role);
  bool replace_role_grants(const std::string& actor, const std::string& role,
                           const std::vector<store::AgentGrant>& grants, const audit::RequestInfo& info);

 private:
  // Revokes the token and its descendants (deny-lists included); their ids.
  std::vector<std::string> revoke_subtree(const std::string& agent_id);
  struct Ceiling {
    bool may_run = false;
    bool all_capabilities = false;
    std::vector<std::string> capabilities;
  };
  Ceiling ceiling_for(const std::vector<std::string>& roles, const AgentType& type);
  MintedAgentToken mint(const std::string& user_id, const std::string& session_id, const AgentType& type,
                        std::vector<std::string> granted, std::vector<std::pair<std::string, std::string>> denied,
                        const Restrictions& restrictions, std::int64_t lifetime, boost::json::object task_context,
                        const tokens::VerifiedToken* parent);
  // The token's restrictions, parsed and validated; null when its claim is invalid.
  std::shared_ptr<const Restrictions> restrictions_of(const tokens::VerifiedToken& agent);
  void record_decision(const VerifyDecision& d, const tokens::VerifiedToken* agent, const std::string& capability,
                       const Resource& resource, const audit::RequestInfo& info);

  const AgentCatalog& catalog_;
  store::AgentStore& agents_;
  store::IdentityStore& users_;
  tokens::TokenService& tokens_;
  audit::AuditLog& audit_;
  observability::Metrics& metrics_;
  int max_depth_;
  ExpiringCache<std::shared_ptr<const Restrictions>> restrictions_cache_;
};

}  // namespace archon::agents
