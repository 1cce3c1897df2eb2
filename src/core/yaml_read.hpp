// Strict readers for YAML configuration (the server config and the agent catalog): each
// error names the dotted path of the offending key ("server.listne: unknown key").
// Pure functions; thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/expected.hpp"

namespace archon::yaml {

Expected<std::string, std::string> read_string(const YAML::Node& n, const std::string& path);
Expected<std::int64_t, std::string> read_int(const YAML::Node& n, const std::string& path, std::int64_t min,
                                              std::int64_t max);
Expected<bool, std::string> read_bool(const YAML::Node& n, const std::string& path);
Expected<std::vector<std::string>, std::string> read_string_list(const YAML::Node& n, const std::string& path);

// The mapping holds only `allowed` keys, each once, and every key of `required`; else the
// problem, naming the key.
std::optional<std::string> check_keys(const YAML::Node& n, const std::string& path,
                                      const std::set<std::string>& allowed,
                                      const std::set<std::string>& required = {});

}  // namespace archon::yaml
