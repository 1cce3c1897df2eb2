#include "agents/catalog.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <yaml-cpp/yaml.h>

#include "core/yaml_read.hpp"

#include "agents/restrictions.hpp"

namespace archon::agents {
namespace {

using Err = Unexpected<std::string>;
using Problem = std::optional<std::string>;  // an error naming its key, or nothing

constexpr std::int64_t kMinLifetime = 60;
constexpr std::int64_t kMaxLifetime = 3600;

bool is_lower_ident(std::string_view s) {
  if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::string key_of(const YAML::Node& k) { return k.IsScalar() ? k.Scalar() : std::string("?"); }

using yaml::read_bool;
using yaml::read_int;
using yaml::read_string;
using yaml::read_string_list;

Problem check_keys(const YAML::Node& n, const std::string& path, const std::set<std::string>& allowed,
                   const std::set<std::string>& required) {
  return yaml::check_keys(n, path, allowed, required);
}

// A description: one non-empty line.
Expected<std::string, std::string> read_line(const YAML::Node& n, const std::string& path) {
  auto s = read_string(n, path);
  if (!s) return s;
  if (s->empty()) return Err{path + ": must not be empty"};
  if (s->find_first_of("\r\n") != std::string::npos) return Err{path + ": must be a single line"};
  return s;
}

Problem parse_vocabulary(const YAML::Node& n, std::vector<Capability>& out) {
  const std::string p = "capabilities";
  if (!n.IsMap()) return p + ": expected a mapping of capability name to description";
  std::set<std::string> seen;
  for (const auto& kv : n) {
    std::string name = key_of(kv.first);
    std::string path = p + "." + name;
    if (!is_valid_capability_name(name))
      return path + ": a capability is named resource:action, each part [a-z][a-z0-9_]*, at most 64 characters";
    if (!seen.insert(name).second) return path + ": duplicate capability";
    auto d = read_line(kv.second, path);
    if (!d) return d.error();
    out.push_back(Capability{name, std::move(*d)});
  }
  if (out.empty()) return p + ": must name at least one capability";
  return std::nullopt;
}

// A list of distinct capabilities from the vocabulary.
Expected<std::vector<std::string>, std::string> read_capability_list(const YAML::Node& n, const std::string& path,
                                                                     const AgentCatalog& vocabulary) {
  auto list = read_string_list(n, path);
  if (!list) return list;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string& c = (*list)[i];
    std::string item = path + "[" + std::to_string(i) + "]";
    if (!vocabulary.is_capability(c)) return Err{item + ": unknown capability '" + c + "'"};
    if (!seen.insert(c).second) return Err{item + ": duplicate capability '" + c + "'"};
  }
  return list;
}

// The shapes first (so errors name YAML keys), then the pattern and size syntax by the same rules
// the server matches with (agents/restrictions.hpp), so a bad pattern stops start-up, not a request.
Problem read_restrictions(const YAML::Node& n, const std::string& p, boost::json::object& out) {
  if (auto e = check_keys(n, p, {"file_paths", "git_branches", "max_file_size"},
                          {"file_paths", "git_branches", "max_file_size"}))
    return e;
  for (const char* key : {"file_paths", "git_branches"}) {
    std::string path = p + "." + key;
    auto list = read_string_list(n[key], path);
    if (!list) return list.error();
    boost::json::array arr;
    for (std::size_t i = 0; i < list->size(); ++i) {
      if ((*list)[i].empty()) return path + "[" + std::to_string(i) + "]: must not be empty";
      arr.emplace_back(boost::json::string((*list)[i]));
    }
    out[key] = std::move(arr);
  }
  auto size = read_string(n["max_file_size"], p + ".max_file_size");
  if (!size) return size.error();
  if (size->empty()) return p + ".max_file_size: must not be empty";
  out["max_file_size"] = boost::json::string(*size);
  auto checked = parse_restrictions(out);
  if (!checked) return p + "." + checked.error();
  return std::nullopt;
}

Problem parse_type(const YAML::Node& n, const std::string& p, const AgentCatalog& vocabulary, AgentType& t) {
  if (auto e = check_keys(n, p,
                          {"description", "capabilities", "requires_approval", "default_restrictions",
                           "max_token_lifetime_seconds", "common"},
                          {"description", "capabilities", "default_restrictions", "max_token_lifetime_seconds"}))
    return e;
  auto d = read_line(n["description"], p + ".description");
  if (!d) return d.error();
  t.description = std::move(*d);

  auto caps = read_capability_list(n["capabilities"], p + ".capabilities", vocabulary);
  if (!caps) return caps.error();
  if (caps->empty()) return p + ".capabilities: must name at least one capability";
  t.capabilities = std::move(*caps);

  if (n["requires_approval"]) {
    std::string path = p + ".requires_approval";
    auto approval = read_capability_list(n["requires_approval"], path, vocabulary);
    if (!approval) return approval.error();
    for (std::size_t i = 0; i < approval->size(); ++i)
      if (!t.holds((*approval)[i]))
        return path + "[" + std::to_string(i) + "]: '" + (*approval)[i] + "' is not among " + p + ".capabilities";
    t.requires_approval = std::move(*approval);
  }

  if (auto e = read_restrictions(n["default_restrictions"], p + ".default_restrictions", t.default_restrictions))
    return e;

  auto life = read_int(n["max_token_lifetime_seconds"], p + ".max_token_lifetime_seconds", kMinLifetime, kMaxLifetime);
  if (!life) return life.error();
  t.max_token_lifetime_seconds = *life;

  if (n["common"]) {
    auto c = read_bool(n["common"], p + ".common");
    if (!c) return c.error();
    t.common = *c;
  }
  return std::nullopt;
}

}  // namespace

bool is_valid_capability_name(std::string_view name) {
  if (name.size() > 64) return false;
  auto colon = name.find(':');
  if (colon == std::string_view::npos) return false;
  return is_lower_ident(name.substr(0, colon)) && is_lower_ident(name.substr(colon + 1));
}

bool is_valid_agent_type_name(std::string_view name) {
  return name.size() >= 2 && name.size() <= 64 && is_lower_ident(name);
}

bool AgentType::holds(std::string_view capability) const {
  return std::find(capabilities.begin(), capabilities.end(), capability) != capabilities.end();
}

bool AgentType::needs_approval(std::string_view capability) const {
  return std::find(requires_approval.begin(), requires_approval.end(), capability) != requires_approval.end();
}

const AgentType* AgentCatalog::find(std::string_view name) const {
  auto it = type_index_.find(name);
  return it == type_index_.end() ? nullptr : &types_[it->second];
}

bool AgentCatalog::is_capability(std::string_view name) const { return capability_index_.count(name) > 0; }

Expected<AgentCatalog, std::string> AgentCatalog::parse_yaml(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Err{"YAML syntax error at line " + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
  if (root.IsNull()) return Err{"top level: the catalog is empty"};
  AgentCatalog cat;
  try {
    if (auto e = check_keys(root, "", {"capabilities", "agent_types"}, {"capabilities", "agent_types"}))
      return Err{*e};
    if (auto e = parse_vocabulary(root["capabilities"], cat.capabilities_)) return Err{*e};
    for (std::size_t i = 0; i < cat.capabilities_.size(); ++i)
      cat.capability_index_.emplace(cat.capabilities_[i].name, i);

    const YAML::Node types = root["agent_types"];
    if (!types.IsMap()) return Err{"agent_types: expected a mapping of agent type name to definition"};
    for (const auto& kv : types) {
      std::string name = key_of(kv.first);
      std::string path = "agent_types." + name;
      if (!is_valid_agent_type_name(name)) return Err{path + ": an agent type name must match [a-z][a-z0-9_]{1,63}"};
      if (cat.type_index_.count(name)) return Err{path + ": duplicate agent type"};
      AgentType t;
      t.name = name;
      if (auto e = parse_type(kv.second, path, cat, t)) return Err{*e};
      cat.type_index_.emplace(name, cat.types_.size());
      cat.types_.push_back(std::move(t));
    }
    if (cat.types_.empty()) return Err{"agent_types: must define at least one agent type"};
  } catch (const YAML::Exception& e) {
    return Err{std::string("invalid agent catalog: ") + e.msg};
  }
  return cat;
}

Expected<AgentCatalog, std::string> AgentCatalog::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Err{path + ": cannot be read"};
  std::stringstream ss;
  ss << in.rdbuf();
  auto cat = parse_yaml(ss.str());
  if (!cat) return Err{path + ": " + cat.error()};
  return cat;
}

}  // namespace archon::agents
