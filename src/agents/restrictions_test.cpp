// Unit tests of the path, branch and size rules (docs/agent-restrictions.md). Restriction sets,
// delegation and decisions: restrictions_policy_test.cpp; brute force: restrictions_property_test.cpp.
#include "agents/restrictions.hpp"

#include <gtest/gtest.h>

namespace archon::agents {
namespace {

using namespace std::string_literals;

std::string path_error(std::string_view p) {
  auto r = normalize_path(p);
  EXPECT_FALSE(r.has_value()) << "accepted: " << p;
  return r ? "" : r.error();
}
std::string branch_error(std::string_view b) {
  auto r = normalize_branch(b);
  EXPECT_FALSE(r.has_value()) << "accepted: " << b;
  return r ? "" : r.error();
}
std::string size_error(std::string_view s) {
  auto r = parse_size(s);
  EXPECT_FALSE(r.has_value()) << "accepted: " << s;
  return r ? "" : r.error();
}

// ---- Paths ---------------------------------------------------------------------------------------
TEST(RestrictionPaths, AcceptsAbsolutePathsUnchanged) {
  for (const char* p : {"/", "/project/src/app.ts", "/project/.env", "/a/...", "/a/b c", "/projet/caf\xc3\xa9.ts",
                        "/a/*?[x]{y}", "/a/~", "/.git/config", "/a/\xf0\x9f\x98\x80"}) {
    auto r = normalize_path(p);
    ASSERT_TRUE(r.has_value()) << p << ": " << r.error();
    EXPECT_EQ(*r, p);
  }
  EXPECT_TRUE(normalize_path("/" + std::string(kMaxPathBytes - 1, 'a')).has_value());
  EXPECT_NE(path_error("/" + std::string(kMaxPathBytes, 'a')).find("longer"), std::string::npos);
}

TEST(RestrictionPaths, RefusesTraversalInsteadOfNormalizingIt) {
  EXPECT_NE(path_error("/project/src/../../etc/passwd").find("'..'"), std::string::npos);
  for (const char* p : {"/..", "/a/..", "/../a", "/a/./b", "/.", "/a/.", "//a", "/a//b", "/a/b/", "/project/src/",
                        "a/b", "project/src", "./a", "../a", "~/a", "", " /a"})
    path_error(p);
  EXPECT_NE(path_error("/a/b/").find("ends with '/'"), std::string::npos);
  EXPECT_NE(path_error("/a//b").find("empty segment"), std::string::npos);
  EXPECT_NE(path_error("a").find("not absolute"), std::string::npos);
}

TEST(RestrictionPaths, RefusesEncodingsEscapesAndControls) {
  for (const char* p : {"%2e%2e", "/project/%2e%2e/etc/passwd", "/a%2fb", "/a/%2E%2E", "/100%", "/a%00"})
    EXPECT_NE(path_error(p).find("'%'"), std::string::npos) << p;
  for (const char* p : {"\\project\\src", "/a\\b", "/a/..\\..\\etc"})
    EXPECT_NE(path_error(p).find("backslash"), std::string::npos) << p;
  for (std::string p : {"/a\0b"s, "/a\0"s, "/a\nb"s, "/a\tb"s, "/a\rb"s, "/a\x7f"s, "/a\x1b[31m"s, "/a\xc2\x85"s, "/a\xc2\x9f"s})
    EXPECT_NE(path_error(p).find("control"), std::string::npos) << p;
  // Invalid UTF-8: stray and truncated bytes, overlong '/' and '.', surrogates, beyond U+10FFFF.
  for (const char* p : {"/a\xff", "/a\xc3", "/a\xc0\xaf", "/a\xe0\x80\xae", "/\xc0\xae\xc0\xae/x", "/a\xed\xa0\x80",
                        "/a\xf4\x90\x80\x80", "/a\x80", "/a\xf8\x88\x80\x80\x80"})
    EXPECT_NE(path_error(p).find("UTF-8"), std::string::npos) << p;
}

TEST(RestrictionPaths, ErrorsNeverEchoTheInput) {
  EXPECT_EQ(path_error("/secret/../passwd").find("passwd"), std::string::npos);
  EXPECT_EQ(branch_error("secret name").find("secret"), std::string::npos);
}

TEST(RestrictionPatterns, ValidatesLikePathsWithWholeSegmentGlobstar) {
  for (const char* p : {"/project/src/**", "/project/**/test_*.py", "/**", "/*", "/", "/a/?", "/**/**", "/a/*b*c"})
    EXPECT_TRUE(validate_path_pattern(p).has_value()) << p;
  for (const char* p : {"/project/src/**.ts", "/a/***", "/a**/b", "/a/b**", "**", "/project/src/../**", "/project/src/",
                        "/project//**", "project/**", "/a/%2a", "/a\\*", "/./**"})
    EXPECT_FALSE(validate_path_pattern(p).has_value()) << p;
  auto globstar = validate_path_pattern("/a/x**");
  ASSERT_FALSE(globstar.has_value());
  EXPECT_NE(globstar.error().find("whole segment"), std::string::npos);
  EXPECT_TRUE(validate_path_pattern("/" + std::string(kMaxPathPatternBytes - 1, 'a')).has_value());
  EXPECT_FALSE(validate_path_pattern("/" + std::string(kMaxPathPatternBytes, 'a')).has_value());
}

struct MatchCase {
  const char* pattern;
  const char* path;
  bool expected;
};

TEST(RestrictionPatterns, PathMatchingTable) {
  const MatchCase cases[] = {
      {"/project/src/**", "/project/src/app.ts", true},  // the spec's example
      {"/project/src/**", "/project/.env", false},       // the spec's example
      {"/project/src/**", "/project/src/a/b.ts", true},
      {"/project/src/**", "/project/src", true},  // "**" matches zero segments
      {"/project/src/**", "/project/src/.env", true},  // no dotfile exception
      {"/project/src/**", "/project/srcx/a", false},
      {"/project/src/**", "/project/sr", false},
      {"/project/src/**", "/project", false},
      {"/project/src/**", "/project/src/../../etc/passwd", false},
      {"/project/src/**", "/project/src/%2e%2e/x", false},
      {"/project/**/test_*.py", "/project/test_a.py", true},
      {"/project/**/test_*.py", "/project/a/b/test_x.py", true},
      {"/project/**/test_*.py", "/project/a/test_.py", true},
      {"/project/**/test_*.py", "/project/a/test_x.pyc", false},
      {"/project/**/test_*.py", "/project/a/xtest_a.py", false},
      {"/project/**/test_*.py", "/project/test_a/b.py", false},
      {"/project/src/*.ts", "/project/src/app.ts", true},
      {"/project/src/*.ts", "/project/src/.ts", true},
      {"/project/src/*.ts", "/project/src/a/b.ts", false},
      {"/a/?", "/a/b", true},
      {"/a/?", "/a/\xc3\xa9", true},  // '?' is one code point, not one byte
      {"/a/??", "/a/\xc3\xa9", false},
      {"/a/?", "/a/bc", false},
      {"/a/?", "/a", false},
      {"/a/?b", "/a/\xf0\x9f\x98\x80" "b", true},
      {"/*", "/a", true},
      {"/*", "/", false},
      {"/*", "/a/b", false},
      {"/**", "/", true},
      {"/**", "/a/b/c", true},
      {"/", "/", true},
      {"/", "/a", false},
      {"/a/**/b/**/c", "/a/b/c", true},
      {"/a/**/b/**/c", "/a/x/b/y/z/c", true},
      {"/a/**/b/**/c", "/a/c", false},
      {"/a/*/**", "/a", false},
      {"/a/*/**", "/a/x", true},
      {"/a/**/**/b", "/a/b", true},
      {"/a/[ab]", "/a/[ab]", true},  // no bracket expressions: '[' is literal
      {"/a/[ab]", "/a/a", false},
      {"/a/{b,c}", "/a/b", false},  // no brace expansion
      {"/Project/**", "/project/x", false},  // case-sensitive
      {"/a/b", "/a/*", false},  // a wildcard in a path is an ordinary character
      {"/a/*", "/a/*", true},
      {"/a/*b*c", "/a/xbybzc", true},
      {"/a/*b*c", "/a/xbcb", false},
      {"/a/*a*a*a*b", "/a/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
      {"/caf\xc3\xa9", "/cafe\xcc\x81", false},  // no Unicode normalization: bytes compare
      {"/project/src/../**", "/project/x", false},  // an invalid pattern matches nothing
      {"/**", "/a//b", false},                      // an invalid path is matched by nothing
  };
  for (const auto& c : cases) EXPECT_EQ(path_matches(c.pattern, c.path), c.expected) << c.pattern << " vs " << c.path;
}

// ---- Branches ------------------------------------------------------------------------------------
TEST(RestrictionBranches, AcceptsGitBranchNamesAndStripsRefsHeads) {
  const std::pair<const char*, const char*> ok[] = {
      {"main", "main"}, {"refs/heads/main", "main"}, {"refs/heads/feature/x", "feature/x"}, {"feature/login", "feature/login"},
      {"release-1.0", "release-1.0"}, {"user@host", "user@host"}, {"a.b", "a.b"}, {"feature/caf\xc3\xa9", "feature/caf\xc3\xa9"},
      {"a/b/c/d", "a/b/c/d"}, {"x.lockx", "x.lockx"}, {"@a", "@a"}, {"a@", "a@"}, {"{x}", "{x}"}, {"a-", "a-"}};
  for (const auto& [in, out] : ok) {
    auto r = normalize_branch(in);
    ASSERT_TRUE(r.has_value()) << in << ": " << r.error();
    EXPECT_EQ(*r, out);
  }
  EXPECT_TRUE(normalize_branch("refs/heads/" + std::string(kMaxBranchBytes, 'a')).has_value());
  EXPECT_FALSE(normalize_branch(std::string(kMaxBranchBytes + 1, 'a')).has_value());
}

TEST(RestrictionBranches, EnforcesCheckRefFormat) {
  EXPECT_NE(branch_error("main ").find("space"), std::string::npos);
  for (std::string b : {" main"s, "ma in"s, "refs/heads/"s, ""s, "refs/tags/v1"s, "refs/heads/refs/heads/main"s,
                        "refs/remotes/origin/main"s, "HEAD"s, "refs/heads/HEAD"s, "@"s, "a..b"s, "..a"s, "a@{1}"s,
                        "@{u}"s, "-x"s, "refs/heads/-x"s, "/a"s, "a/"s, "a//b"s, "a."s, "a/b."s, ".a"s, "a/.b"s,
                        "a.lock"s, "a/b.lock/c"s, "a~1"s, "a^"s, "a:b"s, "a\\b"s, "a?"s, "a*"s, "feature/*"s, "a["s,
                        "a\0b"s, "a\x01"s, "a\x7f"s, "a\tb"s, "a\xc2\x85"s, "a\xff"s, "a\xc0\xae"s})
    branch_error(b);
  EXPECT_NE(branch_error("a/.lock").find("'.'"), std::string::npos);
  EXPECT_NE(branch_error("refs/tags/v1").find("refs/"), std::string::npos);
}

TEST(RestrictionBranches, PatternsAllowWildcards) {
  for (const char* p : {"feature/*", "*", "**", "feature/**", "*/*", "release-?.?", "**/wip", "refs/heads/fix/*"})
    EXPECT_TRUE(normalize_branch_pattern(p).has_value()) << p;
  auto stripped = normalize_branch_pattern("refs/heads/feature/*");
  ASSERT_TRUE(stripped.has_value());
  EXPECT_EQ(*stripped, "feature/*");
  for (const char* p : {"feat**", "feature/***", "a[", ".*", "*.lock", "-*", "feature/*.", "feature/*/", "* ", "a..*",
                        "refs/tags/*", "*@{*", "feature//*"})
    EXPECT_FALSE(normalize_branch_pattern(p).has_value()) << p;
}

TEST(RestrictionBranches, MatchingTable) {
  const MatchCase cases[] = {
      {"feature/*", "feature/login", true},
      {"feature/*", "refs/heads/feature/login", true},
      {"refs/heads/feature/*", "feature/login", true},
      {"feature/*", "feature/a/b", false},  // '*' stays inside one component
      {"feature/*", "feature", false},
      {"feature/*", "main", false},
      {"feature/*", "refs/heads/main", false},
      {"feature/*", "main ", false},
      {"feature/*", "features/x", false},
      {"feature/*", "feature/x.lock", false},  // invalid branch
      {"feature/**", "feature", true},
      {"feature/**", "feature/a/b", true},
      {"*", "main", true},
      {"*", "feature/x", false},
      {"*/*", "feature/x", true},
      {"**", "a/b/c", true},
      {"**/wip", "wip", true},
      {"**/wip", "a/b/wip", true},
      {"release-?.?", "release-1.2", true},
      {"release-?.?", "release-1.10", false},
      {"main", "main", true},
      {"main", "refs/heads/main", true},
      {"main", "Main", false},
      {"feat*", "feature", true},
  };
  for (const auto& c : cases) EXPECT_EQ(branch_matches(c.pattern, c.path), c.expected) << c.pattern << " vs " << c.path;
}

// ---- Sizes ---------------------------------------------------------------------------------------
TEST(RestrictionSizes, ParsesBinaryUnitsCaseInsensitively) {
  const std::pair<const char*, std::uint64_t> ok[] = {
      {"10MB", 10485760},  {"1KB", 1024},  {"1kb", 1024},           {"1Kb", 1024},     {"1kB", 1024},
      {"5B", 5},           {"5b", 5},      {"0B", 0},               {"0MB", 0},        {"1GB", 1073741824},
      {"1gb", 1073741824}, {"100MB", 104857600}, {"8388607GB", kMaxSizeBytes - 1073741823},
      {"9007199254740991B", kMaxSizeBytes}, {"8796093022207KB", kMaxSizeBytes - 1023}};
  for (const auto& [text, bytes] : ok) {
    auto r = parse_size(text);
    ASSERT_TRUE(r.has_value()) << text << ": " << r.error();
    EXPECT_EQ(*r, bytes) << text;
  }
}

TEST(RestrictionSizes, RefusesEverythingElse) {
  for (const char* s : {"", "MB", "10", "10 MB", " 10MB", "10MB ", "1.5MB", ".5MB", "-1MB", "+1MB", "1e3B", "010MB", "00B",
                        "10MiB", "10KiB", "10TB", "10M", "10K", "0x10B", "10MBB", "10BM", "1,024B", "1_024B", "\xef\xbc\x91MB"})
    size_error(s);
  EXPECT_NE(size_error("8388608GB").find("larger"), std::string::npos);
  EXPECT_NE(size_error("9007199254740992B").find("larger"), std::string::npos);
  EXPECT_NE(size_error("99999999999999999999999999999MB").find("larger"), std::string::npos);
  EXPECT_NE(size_error("18446744073709551616B").find("larger"), std::string::npos);  // 2^64
  EXPECT_NE(size_error("1.5MB").find("unit"), std::string::npos);
}

TEST(RestrictionSizes, FormatsWithTheLargestExactUnitAndRoundTrips) {
  EXPECT_EQ(format_size(10485760), "10MB");
  EXPECT_EQ(format_size(1536), "1536B");
  EXPECT_EQ(format_size(0), "0B");
  EXPECT_EQ(format_size(1), "1B");
  EXPECT_EQ(format_size(1024), "1KB");
  EXPECT_EQ(format_size(1025 * 1024), "1025KB");
  EXPECT_EQ(format_size(3ULL << 30), "3GB");
  EXPECT_EQ(format_size(kMaxSizeBytes), "9007199254740991B");
  for (std::uint64_t v : std::initializer_list<std::uint64_t>{0, 1, 1023, 1024, 1536, 10485760, 10485761, 5ULL << 30,
                                                              kMaxSizeBytes, kMaxSizeBytes - 1073741823, 123456789ULL << 10}) {
    auto back = parse_size(format_size(v));
    ASSERT_TRUE(back.has_value()) << v;
    EXPECT_EQ(*back, v);
  }
}

}  // namespace
}  // namespace archon::agents
