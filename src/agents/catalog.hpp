// The agent catalog (config/agents.yaml, docs/agents.md): the capability vocabulary and every agent
// type a user may ask a token for. Parsed strictly: every error names the offending key
// ("agent_types.code_implementer.capabilities[2]: unknown capability 'npm:instal'").
// Immutable after loading; safe to share between threads.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/expected.hpp"

namespace archon::agents {

// One entry of the vocabulary: "resource:action" and a one-line description.
struct Capability {
  std::string name;
  std::string description;
};

struct AgentType {
  std::string name;  // [a-z][a-z0-9_]{1,63}
  std::string description;
  // Everything a token of this type may ever hold, in catalog order; each is in the vocabulary.
  std::vector<std::string> capabilities;
  // A subset of `capabilities`, always denied at authentication with the reason requires_approval.
  std::vector<std::string> requires_approval;
  // {"file_paths": [string...], "git_branches": [string...], "max_file_size": string}, exactly these
  // keys, as written in the catalog; checked at load by agents::parse_restrictions (restrictions.hpp).
  boost::json::object default_restrictions;
  std::int64_t max_token_lifetime_seconds = 0;  // 60..3600
  bool common = false;  // run by the agent_operator role by default

  bool holds(std::string_view capability) const;
  bool needs_approval(std::string_view capability) const;
};

class AgentCatalog {
 public:
  AgentCatalog() = default;  // empty: no types, no capabilities

  // Parses the catalog YAML. Errors name the key: "agent_types.x.max_token_lifetime_seconds: ...".
  static Expected<AgentCatalog, std::string> parse_yaml(const std::string& text);
  // As parse_yaml, the error prefixed with the path ("/etc/archon/agents.yaml: ...").
  static Expected<AgentCatalog, std::string> load_file(const std::string& path);

  const AgentType* find(std::string_view name) const;  // nullptr when unknown
  bool is_capability(std::string_view name) const;     // in the vocabulary
  const std::vector<AgentType>& types() const { return types_; }                 // file order
  const std::vector<Capability>& capabilities() const { return capabilities_; }  // file order

 private:
  std::vector<AgentType> types_;
  std::vector<Capability> capabilities_;
  std::map<std::string, std::size_t, std::less<>> type_index_;
  std::map<std::string, std::size_t, std::less<>> capability_index_;
};

// "resource:action", each part [a-z][a-z0-9_]*, at most 64 characters in all.
bool is_valid_capability_name(std::string_view name);
// [a-z][a-z0-9_]{1,63}
bool is_valid_agent_type_name(std::string_view name);

}  // namespace archon::agents
