// The agent store behind the L1 cache: the grants of a set of roles (which agent types they may
// run, with which capabilities; agent:capabilities:{roles}, TTL 7200 s) are read through the
// cache; replacing a role's grants empties it (and, through the cluster bus, every other
// instance's), so the change counts on the next request.
#pragma once
#include "cache/bounded_cache.hpp"
#include "cluster/shared_cache.hpp"
#include "cluster/cluster_bus.hpp"
#include "observability/metrics.hpp"
#include "store/agent_store.hpp"

namespace archon::cache {

class CachingAgentStore final : public store::AgentStore {
 public:
  static constexpr std::chrono::seconds kGrantsTtl{7200};

  CachingAgentStore(store::AgentStore& backend, std::size_t max_items, observability::Metrics* metrics)
      : backend_(backend), grants_(max_items), metrics_(metrics) {}

  std::vector<store::AgentGrant> grants_for_roles(const std::vector<std::string>& roles) override;
  std::vector<store::AgentGrant> grants_for_role(const std::string& role) override {
    return backend_.grants_for_role(role);
  }
  bool replace_grants(const std::string& role, const std::vector<store::AgentGrant>& grants) override;
  // Start-up only, before serving.
  void set_bus(cluster::ClusterBus* bus) { bus_ = bus; }
  // The shared L2 behind the L1 (agent:capabilities:{roles}).
  void set_shared_cache(cluster::SharedCache* l2) { l2_ = l2; }
  static constexpr const char* kGenerationKey = "agent:capabilities:gen";
  // Another instance changed grants (or messages may have been missed): memory only.
  void drop_all() { grants_.invalidate_all(); }

  void insert_agent_token(const store::AgentTokenRecord& record) override { backend_.insert_agent_token(record); }
  std::optional<store::AgentTokenRecord> find_agent_token(const std::string& agent_id) override {
    return backend_.find_agent_token(agent_id);
  }
  std::vector<store::AgentTokenRecord> live_agent_tokens_where(const std::optional<std::string>& user_id,
                                                                const std::optional<std::string>& agent_type,
                                                                std::int64_t now, std::int64_t limit) override {
    return backend_.live_agent_tokens_where(user_id, agent_type, now, limit);
  }
  std::vector<store::AgentTokenRecord> live_agent_tokens(const std::string& user_id, std::int64_t now) override {
    return backend_.live_agent_tokens(user_id, now);
  }
  std::vector<std::pair<std::string, std::int64_t>> revoke_agent_lineage(const std::string& agent_id,
                                                                         std::int64_t now) override {
    return backend_.revoke_agent_lineage(agent_id, now);
  }

 private:
  store::AgentStore& backend_;
  BoundedCache<std::vector<store::AgentGrant>> grants_;
  observability::Metrics* metrics_;
  cluster::ClusterBus* bus_ = nullptr;
  cluster::SharedCache* l2_ = nullptr;
};

}  // namespace archon::cache
