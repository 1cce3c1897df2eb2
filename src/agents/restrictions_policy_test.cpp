// Restriction sets, delegation narrowing and per-action decisions (docs/agent-restrictions.md).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "agents/restrictions.hpp"

namespace archon::agents {
namespace {

Restrictions parsed(std::string_view json) {
  auto r = parse_restrictions(boost::json::parse(json).as_object());
  EXPECT_TRUE(r.has_value()) << json << ": " << (r ? "" : r.error());
  return r ? *r : Restrictions{};
}
std::string parse_error(std::string_view json) {
  auto r = parse_restrictions(boost::json::parse(json).as_object());
  EXPECT_FALSE(r.has_value()) << json;
  return r ? "" : r.error();
}
using List = std::vector<std::string>;

const char* kImplementer = R"({"file_paths":["/project/src/**"],"git_branches":["feature/*"],"max_file_size":"10MB"})";

// ---- Parsing and rendering ---------------------------------------------------------------------
TEST(RestrictionSets, ParsesTheCatalogShapeAndRendersItBack) {
  auto r = parsed(kImplementer);
  EXPECT_EQ(r.file_paths, List{"/project/src/**"});
  EXPECT_EQ(r.git_branches, List{"feature/*"});
  EXPECT_EQ(r.max_file_size, 10u * 1024 * 1024);
  EXPECT_EQ(boost::json::serialize(to_json(r)), kImplementer);
}

TEST(RestrictionSets, MissingKeysDenyListsAndLeaveSizeUnlimited) {
  auto r = parsed("{}");
  EXPECT_TRUE(r.file_paths.empty());
  EXPECT_TRUE(r.git_branches.empty());
  EXPECT_FALSE(r.max_file_size.has_value());
  EXPECT_EQ(boost::json::serialize(to_json(r)), R"({"file_paths":[],"git_branches":[]})");
}

TEST(RestrictionSets, NormalizesBranchesDropsDuplicatesAcceptsByteCounts) {
  auto r = parsed(R"({"git_branches":["refs/heads/main","main","feature/*"],"file_paths":["/a/**","/a/**"],
                      "max_file_size":1048576})");
  EXPECT_EQ(r.git_branches, (List{"main", "feature/*"}));
  EXPECT_EQ(r.file_paths, List{"/a/**"});
  EXPECT_EQ(r.max_file_size, 1048576u);
  EXPECT_EQ(to_json(r).at("max_file_size").as_string(), "1MB");
  EXPECT_EQ(parsed(R"({"max_file_size":0})").max_file_size, 0u);
  EXPECT_EQ(parsed(R"({"max_file_size":9007199254740991})").max_file_size, kMaxSizeBytes);
  EXPECT_EQ(parsed(R"({"max_file_size":"1536B"})").max_file_size, 1536u);
}

TEST(RestrictionSets, IsStrict) {
  EXPECT_NE(parse_error(R"({"file_path":[]})").find("unknown key 'file_path'"), std::string::npos);
  EXPECT_EQ(parse_error("{\"evil\\nkey\":1}").find("evil"), std::string::npos);  // not echoed
  EXPECT_NE(parse_error(R"({"file_paths":"/a/**"})").find("file_paths: must be an array"), std::string::npos);
  EXPECT_NE(parse_error(R"({"file_paths":["/a/**",3]})").find("file_paths[1]: must be a string"), std::string::npos);
  EXPECT_NE(parse_error(R"({"file_paths":["/a/**","/a/../b"]})").find("file_paths[1]: "), std::string::npos);
  EXPECT_NE(parse_error(R"({"git_branches":["feature/*","main "]})").find("git_branches[1]: "), std::string::npos);
  EXPECT_NE(parse_error(R"({"git_branches":[null]})").find("git_branches[0]"), std::string::npos);
  for (const char* size : {"-1", "9007199254740992", "1.5", "1e3", "null", "true", "\"10 MB\"", "\"\"", "[1]", "18446744073709551615"})
    EXPECT_NE(parse_error(std::string(R"({"max_file_size":)") + size + "}").find("max_file_size"), std::string::npos) << size;
  std::string many = R"({"file_paths":[)";
  for (std::size_t i = 0; i <= kMaxPatternsPerList; ++i) many += (i ? ",\"/a" : "\"/a") + std::to_string(i) + "\"";
  EXPECT_NE(parse_error(many + "]}").find("more than 64"), std::string::npos);
  std::string big = R"({"file_paths":[)";
  for (int i = 0; i < 5; ++i) big += (i ? ",\"/" : "\"/") + std::to_string(i) + std::string(1000, 'x') + "\"";
  EXPECT_NE(parse_error(big + "]}").find("bytes in all"), std::string::npos);
}

// ---- Delegation: inclusion of patterns ---------------------------------------------------------
struct WithinCase {
  const char* child;
  const char* parent;
  bool within;
};

TEST(RestrictionDelegation, PathPatternWithin) {
  const WithinCase cases[] = {
      {"/project/src/api/**", "/project/src/**", true},
      {"/project/src/*.ts", "/project/src/**", true},
      {"/project/src/a.ts", "/project/src/**", true},
      {"/project/src/**", "/project/src/**", true},
      {"/project/src", "/project/src/**", true},
      {"/project/src/**/*.ts", "/project/src/**", true},
      {"/project/src/*/**", "/project/src/**", true},
      {"/project/src/?", "/project/src/**", true},
      {"/project/src/**/**", "/project/src/**", true},
      {"/project/**", "/project/src/**", false},
      {"/project/src/../x", "/project/src/**", false},
      {"/project/s*/**", "/project/src/**", false},
      {"/project/*/**", "/project/src/**", false},
      {"/**", "/project/src/**", false},
      {"/project/.env", "/project/src/**", false},
      {"/project", "/project/src/**", false},
      {"/project/src2/**", "/project/src/**", false},
      {"/project/src/", "/project/src/**", false},
      {"/project/src/**", "/project/src/../src/**", false},  // an invalid parent covers nothing
      {"/project/docs/*.md", "/project/**/*.md", true},
      {"/project/**/README.md", "/project/**/*.md", true},
      {"/project/a/**/b/*.md", "/project/**/*.md", true},
      {"/project/**", "/project/**/*.md", false},
      {"/project/*.txt", "/project/**/*.md", false},
      {"/project/src/a", "/*/src/**", true},
      {"/project/?", "/project/*", true},
      {"/project/?*", "/project/*", true},
      {"/project/*", "/project/?*", true},  // segments are never empty
      {"/project/**", "/project/*", false},
      {"/a/**/*", "/a/*/**", true},  // the same set, written two ways
      {"/a/*/**", "/a/**/*", true},
      {"/a/*/**", "/a/**", true},
      {"/a/**", "/a/*/**", false},  // "/a" itself
      {"/a/*x", "/a/*x", true},
      {"/a/x", "/a/*x", true},
      {"/a/*?x", "/a/*x", true},
      {"/a/*", "/a/*x", false},
      {"/project/*.md", "/project/*", true},
      {"/project/**/x", "/project/*/**", true},  // at least one segment on both sides
      {"/project/x/**", "/project/*/**", true},
      {"/a/*a", "/a/?*", true},
      {"/a/a*a", "/a/a?*", true},
      {"/a/*a*", "/a/?*", false},  // holds, but the rules cannot prove it: answered false
      {"/a/*", "/a/??", false},
      {"/a/x*", "/a/x?", false},
      {"/a/?*", "/a/??*", false},
      {"/a/??*", "/a/?*", true},
      {"/a/*?", "/a/?*", true},
      {"/a/x*", "/a/*", true},
      {"/a/b/c", "/**/c", true},
      {"/a/**/c", "/**/c", true},
      {"/a/**", "/**/c", false},
      {"/", "/**", true},
      {"/", "/*", false},
      {"/a/\xc3\xa9", "/a/?", true},
  };
  for (const auto& c : cases) EXPECT_EQ(path_pattern_within(c.child, c.parent), c.within) << c.child << " within " << c.parent;
}

TEST(RestrictionDelegation, BranchPatternWithin) {
  const WithinCase cases[] = {
      {"feature/login", "feature/*", true},       {"feature/log*", "feature/*", true},
      {"feature/*", "feature/*", true},           {"refs/heads/feature/x", "feature/*", true},
      {"feature/x", "refs/heads/feature/*", true}, {"feature/**", "feature/*", false},
      {"feature/a/b", "feature/*", false},        {"*", "feature/*", false},
      {"main", "feature/*", false},               {"feature", "feature/*", false},
      {"feature/*/x", "feature/**", true},        {"feature", "feature/**", true},
      {"anything/at/all", "**", true},            {"**", "**", true},
      {"*/*", "*", false},                        {"main", "*", true},
      {"main ", "*", false},                      {"feature/*", "feature/?*", true},
      {"release-1.?", "release-*", true},         {"release-*", "release-1.?", false},
      {"feature/*", "*/*", true},                 {"**/wip", "*/**", true},
      {"a/**/wip", "*/**", true},                 {"**/x/wip", "*/**", true},
  };
  for (const auto& c : cases) EXPECT_EQ(branch_pattern_within(c.child, c.parent), c.within) << c.child << " within " << c.parent;
}

// ---- Delegation: narrowing a restriction set ---------------------------------------------------
TEST(RestrictionDelegation, EmptyRequestInheritsEverything) {
  auto parent = parsed(kImplementer);
  auto r = narrow(parent, Restrictions{});
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(boost::json::serialize(to_json(*r)), kImplementer);
}

TEST(RestrictionDelegation, NarrowerRequestIsTakenAsIs) {
  auto parent = parsed(kImplementer);
  auto r = narrow(parent, parsed(R"({"file_paths":["/project/src/api/**","/project/src/a.ts"],
                                     "git_branches":["refs/heads/feature/login"],"max_file_size":"1MB"})"));
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(r->file_paths, (List{"/project/src/api/**", "/project/src/a.ts"}));
  EXPECT_EQ(r->git_branches, List{"feature/login"});
  EXPECT_EQ(r->max_file_size, 1024u * 1024);
  // Only some fields requested: the others are inherited.
  auto partial = narrow(parent, parsed(R"({"git_branches":["feature/x"]})"));
  ASSERT_TRUE(partial.has_value());
  EXPECT_EQ(partial->file_paths, parent.file_paths);
  EXPECT_EQ(partial->git_branches, List{"feature/x"});
  EXPECT_EQ(partial->max_file_size, parent.max_file_size);
}

TEST(RestrictionDelegation, WiderRequestIsRefusedNamingTheEntry) {
  auto parent = parsed(kImplementer);
  auto wider = [&](std::string_view json) {
    auto r = narrow(parent, parsed(json));
    EXPECT_FALSE(r.has_value()) << json;
    return r ? "" : r.error();
  };
  EXPECT_EQ(wider(R"({"file_paths":["/project/**"]})"), "file_paths[0] is not within the parent's file_paths");
  EXPECT_EQ(wider(R"({"file_paths":["/project/src/a","/project/.env"]})"), "file_paths[1] is not within the parent's file_paths");
  EXPECT_EQ(wider(R"({"git_branches":["main"]})"), "git_branches[0] is not within the parent's git_branches");
  EXPECT_EQ(wider(R"({"git_branches":["feature/**"]})"), "git_branches[0] is not within the parent's git_branches");
  EXPECT_EQ(wider(R"({"max_file_size":"11MB"})"), "max_file_size is larger than the parent's");
  EXPECT_EQ(wider(R"({"max_file_size":10485761})"), "max_file_size is larger than the parent's");
  EXPECT_TRUE(narrow(parent, parsed(R"({"max_file_size":"10MB"})")).has_value());
  // A request not built by parse_restrictions is validated all the same.
  Restrictions raw;
  raw.file_paths = {"/project/src/../../etc/**"};
  auto refused = narrow(parent, raw);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().find("file_paths[0]: "), std::string::npos);
}

TEST(RestrictionDelegation, EachChildPatternNeedsOneParentPattern) {
  auto parent = parsed(R"({"file_paths":["/a/x/**","/a/y/**"],"git_branches":["fix/*","feature/*"]})");
  EXPECT_TRUE(narrow(parent, parsed(R"({"file_paths":["/a/y/1","/a/x/**"],"git_branches":["feature/a","fix/b"]})")).has_value());
  // Covered by the union but by no single parent pattern: refused (sound, not complete).
  EXPECT_FALSE(narrow(parent, parsed(R"({"file_paths":["/a/?/**"]})")).has_value());
  // A parent with no patterns or no size limit.
  Restrictions none;
  EXPECT_FALSE(narrow(none, parsed(R"({"file_paths":["/a"]})")).has_value());
  auto unlimited = narrow(none, parsed(R"({"max_file_size":"1GB"})"));
  ASSERT_TRUE(unlimited.has_value());
  EXPECT_EQ(unlimited->max_file_size, 1u << 30);
  EXPECT_TRUE(unlimited->file_paths.empty());
}

// ---- Decisions -----------------------------------------------------------------------------------
Decision check(const Restrictions& r, std::optional<std::string> path, std::optional<std::string> branch = std::nullopt,
               std::optional<std::uint64_t> size = std::nullopt) {
  return check_resource(r, Resource{std::move(path), std::move(branch), size});
}

TEST(RestrictionDecisions, TheSpecExample) {
  auto r = parsed(kImplementer);
  EXPECT_TRUE(check(r, "/project/src/app.ts").allowed);
  EXPECT_EQ(check(r, "/project/src/app.ts").reason, "allowed");
  EXPECT_EQ(check(r, "/project/.env").reason, "path_not_allowed");
  EXPECT_EQ(check(r, "/project/src/../../etc/passwd").reason, "invalid_path");
  EXPECT_EQ(check(r, "/project/src/%2e%2e/%2e%2e/etc/passwd").reason, "invalid_path");
  EXPECT_EQ(check(r, "%2e%2e").reason, "invalid_path");
  EXPECT_EQ(check(r, "/project/src\\..\\..\\etc\\passwd").reason, "invalid_path");
  EXPECT_EQ(check(r, std::string("/project/src/a.ts\0.png", 23)).reason, "invalid_path");
  EXPECT_EQ(check(r, "/project/src//app.ts").reason, "invalid_path");
  EXPECT_EQ(check(r, std::nullopt, "refs/heads/main").reason, "branch_not_allowed");
  EXPECT_EQ(check(r, std::nullopt, "main").reason, "branch_not_allowed");
  EXPECT_EQ(check(r, std::nullopt, "main ").reason, "invalid_branch");
  EXPECT_TRUE(check(r, std::nullopt, "refs/heads/feature/login").allowed);
  EXPECT_EQ(check(r, std::nullopt, "feature/a/b").reason, "branch_not_allowed");
  EXPECT_TRUE(check(r, "/project/src/app.ts", "feature/login", 10u << 20).allowed);
  EXPECT_EQ(check(r, "/project/src/app.ts", "feature/login", (10u << 20) + 1).reason, "size_exceeds_limit");
}

TEST(RestrictionDecisions, ChecksOnlyWhatIsGivenInOrder) {
  auto r = parsed(kImplementer);
  EXPECT_EQ(check(r, std::nullopt).reason, "allowed");
  EXPECT_EQ(check(r, std::nullopt, std::nullopt, 1u << 30).reason, "size_exceeds_limit");
  EXPECT_EQ(check(r, "/a/../b", "main ", 1u << 30).reason, "invalid_path");
  EXPECT_EQ(check(r, "/etc/passwd", "main ", 1u << 30).reason, "path_not_allowed");
  EXPECT_EQ(check(r, "/project/src/a", "main ", 1u << 30).reason, "invalid_branch");
  EXPECT_EQ(check(r, "/project/src/a", "main", 1u << 30).reason, "branch_not_allowed");
  auto d = check(r, "/a/../b");
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.detail.find("'..'"), std::string::npos);
  EXPECT_TRUE(check(r, "/project/src/a").detail.empty());
}

TEST(RestrictionDecisions, EmptyListsDenyAndNoLimitAllowsAnySize) {
  Restrictions none;
  EXPECT_EQ(check(none, "/project/src/a").reason, "path_not_allowed");
  EXPECT_EQ(check(none, std::nullopt, "main").reason, "branch_not_allowed");
  EXPECT_TRUE(check(none, std::nullopt, std::nullopt, UINT64_MAX).allowed);
  auto zero = parsed(R"({"max_file_size":"0B"})");
  EXPECT_TRUE(check(zero, std::nullopt, std::nullopt, 0).allowed);
  EXPECT_EQ(check(zero, std::nullopt, std::nullopt, 1).reason, "size_exceeds_limit");
}

TEST(RestrictionDecisions, AnyPatternOfTheListMayAllow) {
  auto r = parsed(R"({"file_paths":["/project/docs/**","/project/**/*.md","/project/src/**"],"git_branches":["*","*/*"]})");
  EXPECT_TRUE(check(r, "/project/README.md").allowed);
  EXPECT_TRUE(check(r, "/project/docs/x.png").allowed);
  EXPECT_EQ(check(r, "/project/Makefile").reason, "path_not_allowed");
  EXPECT_TRUE(check(r, std::nullopt, "main").allowed);
  EXPECT_TRUE(check(r, std::nullopt, "feature/x").allowed);
  EXPECT_EQ(check(r, std::nullopt, "a/b/c").reason, "branch_not_allowed");
  // Hand-built restrictions with a bad pattern: that pattern allows nothing, the others still work.
  Restrictions hand;
  hand.file_paths = {"/project/../**", "/project/ok/**"};
  EXPECT_EQ(check(hand, "/etc/passwd").reason, "path_not_allowed");
  EXPECT_TRUE(check(hand, "/project/ok/x").allowed);
}

TEST(RestrictionDecisions, WorstCaseInputsStayCheap) {
  // The longest path against the longest patterns, built to make greedy matching backtrack.
  std::string path;
  while (path.size() + 2 <= kMaxPathBytes) path += "/a";
  Restrictions r;
  std::string pattern = "/**";
  while (pattern.size() + 2 <= kMaxPathPatternBytes - 2) pattern += "/a";
  pattern += "/b";
  for (int i = 0; i < 4; ++i) r.file_paths.push_back(pattern);
  EXPECT_EQ(check(r, path).reason, "path_not_allowed");
  std::string stars = "/x/";
  while (stars.size() + 2 <= kMaxPathPatternBytes - 1) stars += "*a";
  stars += "b";
  EXPECT_FALSE(path_matches(stars, "/x/" + std::string(kMaxPathBytes - 3, 'a')));
  EXPECT_TRUE(path_pattern_within(stars, stars));
  EXPECT_TRUE(path_pattern_within(pattern, pattern));
}

}  // namespace
}  // namespace archon::agents
