// The shared restriction vectors (sdks/testdata/restriction-vectors.json), which every SDK reads
// too: the server's own rules must give every expected answer, so an offline check in any language
// and POST /api/v2/auth/agents/verify agree. The file's format is in sdks/testdata/README.md.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "agents/restrictions.hpp"

namespace archon::agents {
namespace {

namespace json = boost::json;

json::object load_vectors() {
  std::ifstream in(std::string(ARCHON_SOURCE_DIR) + "/sdks/testdata/restriction-vectors.json", std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

// The decision for one case, as the verify endpoint reaches it: the claim must parse (else
// restrictions_invalid), then the resource is checked.
std::string decide(const json::object& input) {
  auto restrictions = parse_restrictions(input.at("restrictions").as_object());
  if (!restrictions) return "restrictions_invalid";
  Resource resource;
  const auto& r = input.at("resource").as_object();
  if (auto p = r.if_contains("path")) resource.path = std::string(p->as_string());
  if (auto p = r.if_contains("path_hex")) resource.path = from_hex(p->as_string());
  if (auto b = r.if_contains("branch")) resource.branch = std::string(b->as_string());
  if (auto s = r.if_contains("size")) {
    if (s->is_string()) {
      auto bytes = parse_size(s->as_string());
      if (!bytes) return "malformed resource size";  // never expected by a decision case
      resource.size = *bytes;
    } else {
      resource.size = s->to_number<std::uint64_t>();
    }
  }
  return check_resource(*restrictions, resource).reason;
}

bool within(const json::object& input) {
  std::string_view list = input.at("list").as_string(), child = input.at("child").as_string(),
                   parent = input.at("parent").as_string();
  return list == "file_paths" ? path_pattern_within(child, parent) : branch_pattern_within(child, parent);
}

// narrow(): the child's claim as the server writes it, or a refusal with the reference's message.
void check_narrow(const json::object& input, const json::object& expected, const std::string& id) {
  auto parent = parse_restrictions(input.at("parent").as_object());
  ASSERT_TRUE(parent.has_value()) << id << ": the parent must parse";
  auto requested = parse_restrictions(input.at("requested").as_object());
  Expected<Restrictions, std::string> child = Unexpected{std::string("requested: does not parse")};
  if (requested) child = narrow(*parent, *requested);
  else child = Unexpected{requested.error()};
  ASSERT_EQ(child.has_value(), expected.at("allowed").as_bool()) << id << (child ? "" : ": " + child.error());
  if (child) EXPECT_EQ(to_json(*child), expected.at("restrictions").as_object()) << id;
  else EXPECT_EQ(child.error(), expected.at("error").as_string()) << id;
}

TEST(RestrictionVectors, EveryCaseGetsItsExpectedAnswer) {
  json::object vectors = load_vectors();
  ASSERT_EQ(vectors.at("version").as_int64(), 1);
  std::size_t cases = 0;
  for (const auto& group_value : vectors.at("groups").as_array()) {
    const auto& group = group_value.as_object();
    std::string_view kind = group.at("kind").as_string();
    for (const auto& case_value : group.at("cases").as_array()) {
      const auto& c = case_value.as_object();
      std::string id(c.at("id").as_string());
      const auto& input = c.at("input").as_object();
      const auto& expected = c.at("expected").as_object();
      ++cases;
      if (kind == "decision") {
        std::string reason = decide(input);
        EXPECT_EQ(reason, expected.at("reason").as_string()) << id;
        EXPECT_EQ(reason == "allowed", expected.at("allowed").as_bool()) << id;
      } else if (kind == "within") {
        EXPECT_EQ(within(input), expected.at("allowed").as_bool()) << id;
      } else {
        ASSERT_EQ(kind, "narrow") << id;
        check_narrow(input, expected, id);
      }
    }
  }
  EXPECT_GE(cases, 300u) << "the shared file lost cases";
  std::cout << "restriction vectors checked: " << cases << "\n";
}

}  // namespace
}  // namespace archon::agents
