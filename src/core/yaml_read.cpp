#include "core/yaml_read.hpp"

#include <charconv>

namespace archon::yaml {
namespace {
using Err = Unexpected<std::string>;
std::string key_of(const YAML::Node& k) { return k.IsScalar() ? k.Scalar() : std::string("?"); }
}  // namespace

Expected<std::string, std::string> read_string(const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar()) return Err{path + ": expected a string"};
  return n.Scalar();
}

Expected<std::int64_t, std::string> read_int(const YAML::Node& n, const std::string& path, std::int64_t min,
                                              std::int64_t max) {
  if (!n.IsScalar()) return Err{path + ": expected an integer"};
  const std::string& s = n.Scalar();
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return Err{path + ": expected an integer, got '" + s + "'"};
  if (v < min || v > max)
    return Err{path + ": must be between " + std::to_string(min) + " and " + std::to_string(max)};
  return v;
}

Expected<bool, std::string> read_bool(const YAML::Node& n, const std::string& path) {
  if (n.IsScalar()) {
    if (n.Scalar() == "true") return true;
    if (n.Scalar() == "false") return false;
  }
  return Err{path + ": expected true or false"};
}

Expected<std::vector<std::string>, std::string> read_string_list(const YAML::Node& n, const std::string& path) {
  if (!n.IsSequence()) return Err{path + ": expected a list of strings"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n.size(); ++i) {
    auto s = read_string(n[i], path + "[" + std::to_string(i) + "]");
    if (!s) return Err{s.error()};
    out.push_back(std::move(*s));
  }
  return out;
}

std::optional<std::string> check_keys(const YAML::Node& n, const std::string& path,
                                      const std::set<std::string>& allowed, const std::set<std::string>& required) {
  if (!n.IsMap()) return (path.empty() ? std::string("top level") : path) + ": expected a mapping";
  auto join = [&](const std::string& k) { return path.empty() ? k : path + "." + k; };
  std::set<std::string> seen;
  for (const auto& kv : n) {
    std::string key = key_of(kv.first);
    if (!allowed.count(key)) return join(key) + ": unknown key";
    if (!seen.insert(key).second) return join(key) + ": duplicate key";
  }
  for (const auto& r : required)
    if (!seen.count(r)) return join(r) + ": required";
  return std::nullopt;
}

}  // namespace archon::yaml
