#include "cache/caching_agent_store.hpp"

#include <algorithm>

#include "cache/cache_codec.hpp"

namespace archon::cache {

std::vector<store::AgentGrant> CachingAgentStore::grants_for_roles(const std::vector<std::string>& roles) {
  std::vector<std::string> sorted = roles;
  std::sort(sorted.begin(), sorted.end());
  if (bus_ && !bus_->coherent()) {  // another instance's change may not have reached us
    if (metrics_) metrics_->count_cache("agent_grants", false);
    return backend_.grants_for_roles(roles);
  }
  std::string key = "agent:capabilities:";
  for (const auto& r : sorted) key += r + '\x1f';  // role names never contain a unit separator
  BoundedCache<std::vector<store::AgentGrant>>::Ticket ticket;
  if (auto hit = grants_.get(key, &ticket)) {
    if (metrics_) metrics_->count_cache("agent_grants", true);
    return *hit;
  }
  if (metrics_) metrics_->count_cache("agent_grants", false);
  cluster::SharedCache::Lookup shared;
  if (l2_) {
    shared = l2_->get(key, kGenerationKey);
    if (shared.value) {
      if (auto grants = decode_grants(*shared.value)) {
        if (metrics_) metrics_->count_cache("agent_grants_l2", true);
        grants_.put(key, *grants, kGrantsTtl, ticket);
        return *grants;
      }
    }
    if (metrics_) metrics_->count_cache("agent_grants_l2", false);
  }
  auto grants = backend_.grants_for_roles(roles);
  grants_.put(key, grants, kGrantsTtl, ticket);
  if (l2_ && shared.available) l2_->put(key, kGenerationKey, shared.generation, encode_grants(grants), kGrantsTtl);
  return grants;
}

bool CachingAgentStore::replace_grants(const std::string& role, const std::vector<store::AgentGrant>& grants) {
  bool replaced = backend_.replace_grants(role, grants);
  grants_.invalidate_all();  // any cached role set may include `role`
  if (l2_) l2_->invalidate("", kGenerationKey);  // one generation for every role set
  if (bus_) bus_->grants_changed();
  return replaced;
}

}  // namespace archon::cache
