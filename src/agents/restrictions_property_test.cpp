// Brute-force and randomized property tests of the restriction rules:
// - matching agrees with an independent, character-level reference matcher written from the docs;
// - delegation inclusion is sound: whenever path_pattern_within(child, parent) (or the branch twin)
//   says true, every concrete path the child matches is matched by the parent, checked exhaustively
//   over small alphabets and by sampling instances of random longer child patterns;
// - inclusion is exact for wildcard-free children and reflexive.
#include <gtest/gtest.h>

#include <random>
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "agents/restrictions.hpp"

namespace archon::agents {
namespace {

// ---- Reference matcher ---------------------------------------------------------------------------
// Written from the documented rules, character by character (the module works segment by segment):
// the path "/" is the empty string; a pattern segment "**" is "zero or more of '/' followed by one or
// more non-'/' characters"; '*' is any run of non-'/' characters, '?' one non-'/' character (ASCII
// alphabets only here). Memoized, so never exponential.
constexpr int kGlobstar = -1, kStar = -2, kOne = -3;

std::vector<int> reference_tokens(const std::string& pattern) {
  std::vector<int> out;
  if (pattern == "/") return out;
  std::size_t start = 1;
  while (start <= pattern.size()) {
    std::size_t end = std::min(pattern.find('/', start), pattern.size());
    std::string seg = pattern.substr(start, end - start);
    if (seg == "**") {
      out.push_back(kGlobstar);
    } else {
      out.push_back('/');
      for (char c : seg) out.push_back(c == '*' ? kStar : c == '?' ? kOne : int{static_cast<unsigned char>(c)});
    }
    start = end + 1;
  }
  return out;
}

bool reference_path_match(const std::string& pattern, const std::string& path) {
  const std::vector<int> t = reference_tokens(pattern);
  const std::string s = path == "/" ? "" : path;
  std::vector<std::vector<int>> memo(t.size() + 1, std::vector<int>(s.size() + 1, -1));
  std::function<bool(std::size_t, std::size_t)> m = [&](std::size_t ti, std::size_t si) -> bool {
    int& r = memo[ti][si];
    if (r >= 0) return r;
    if (ti == t.size()) return (r = si == s.size()) != 0;
    bool ok = false;
    if (t[ti] == kGlobstar) {
      ok = m(ti + 1, si);
      if (!ok && si < s.size() && s[si] == '/')
        for (std::size_t k = si + 1; !ok && k < s.size() && s[k] != '/'; ++k) ok = m(ti, k + 1);
    } else if (t[ti] == kStar) {
      ok = m(ti + 1, si) || (si < s.size() && s[si] != '/' && m(ti, si + 1));
    } else if (t[ti] == kOne) {
      ok = si < s.size() && s[si] != '/' && m(ti + 1, si + 1);
    } else {
      ok = si < s.size() && static_cast<unsigned char>(s[si]) == t[ti] && m(ti + 1, si + 1);
    }
    return (r = ok) != 0;
  };
  return m(0, 0);
}

std::string join(const std::vector<std::string>& parts, bool leading_slash) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i || leading_slash ? "/" : "") + parts[i];
  return out.empty() && leading_slash ? "/" : out;
}

// Every join of 0..max_depth items of `alphabet` (min_depth..max_depth).
std::vector<std::string> enumerate(const std::vector<std::string>& alphabet, std::size_t min_depth, std::size_t max_depth,
                                   bool leading_slash) {
  std::vector<std::string> out;
  std::vector<std::vector<std::string>> level{{}};
  for (std::size_t depth = 0; depth <= max_depth; ++depth) {
    if (depth >= min_depth)
      for (const auto& parts : level) out.push_back(join(parts, leading_slash));
    std::vector<std::vector<std::string>> next;
    for (const auto& parts : level)
      for (const auto& a : alphabet) {
        next.push_back(parts);
        next.back().push_back(a);
      }
    level = std::move(next);
  }
  return out;
}

// Every string over `chars` of min_len..max_len characters.
std::vector<std::string> words(const std::string& chars, std::size_t min_len, std::size_t max_len) {
  std::vector<std::string> out, level{""};
  for (std::size_t len = 0; len <= max_len; ++len) {
    if (len >= min_len) out.insert(out.end(), level.begin(), level.end());
    std::vector<std::string> next;
    for (const auto& w : level)
      for (char c : chars) next.push_back(w + c);
    level = std::move(next);
  }
  return out;
}

using Bits = std::vector<std::uint64_t>;
bool subset(const Bits& a, const Bits& b) {
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] & ~b[i]) return false;
  return true;
}

template <class Match, class Within>
void exhaustive_soundness(const std::vector<std::string>& patterns, const std::vector<std::string>& concrete, Match match,
                          Within within) {
  std::vector<Bits> bits(patterns.size(), Bits((concrete.size() + 63) / 64));
  for (std::size_t p = 0; p < patterns.size(); ++p)
    for (std::size_t s = 0; s < concrete.size(); ++s)
      if (match(patterns[p], concrete[s])) bits[p][s / 64] |= std::uint64_t{1} << (s % 64);
  std::size_t proved = 0, sample_included = 0, unsound = 0;
  for (std::size_t c = 0; c < patterns.size(); ++c) {
    for (std::size_t p = 0; p < patterns.size(); ++p) {
      bool w = within(patterns[c], patterns[p]);
      bool inc = subset(bits[c], bits[p]);
      proved += w;
      sample_included += inc;
      if (w && !inc && ++unsound <= 10) ADD_FAILURE() << patterns[c] << " claimed within " << patterns[p];
      if (c == p) {
        EXPECT_TRUE(w) << "not reflexive: " << patterns[c];
      }
    }
  }
  EXPECT_EQ(unsound, 0u);
  // Informational: how much of the (sample) inclusion the conservative rules prove.
  std::printf("  %zu patterns x %zu names: %zu pairs proved within, %zu included on the sample\n", patterns.size(),
              concrete.size(), proved, sample_included);
  EXPECT_GT(proved * 10, sample_included * 8);  // proves most of what holds on the sample
}

// ---- Paths ---------------------------------------------------------------------------------------
// Small alphabets, every combination up to three segments: sizes chosen so the suite stays a few
// seconds under the sanitizers.
const std::vector<std::string> kPatternSegs{"a", "ab", "*", "?", "a*", "**"};
const std::vector<std::string> kPathSegs{"a", "b", "ab", "ba", "aab"};

TEST(RestrictionProperties, ExhaustivePathInclusionIsSound) {
  auto patterns = enumerate(kPatternSegs, 0, 3, true);
  auto paths = enumerate(kPathSegs, 0, 3, true);
  exhaustive_soundness(patterns, paths, path_matches, path_pattern_within);
}

TEST(RestrictionProperties, ExhaustiveSegmentInclusionIsSound) {
  // Inside one segment: every valid pattern (no "**") over {a, b, *, ?} up to 3 characters and over
  // {a, *, ?} of 4, against every name over {a, b} up to 5 characters.
  std::vector<std::string> patterns, names;
  for (auto p : words("ab*?", 1, 3))
    if (p.find("**") == std::string::npos) patterns.push_back("/x/" + p);
  for (auto p : words("a*?", 4, 4))
    if (p.find("**") == std::string::npos) patterns.push_back("/x/" + p);
  for (const auto& n : words("ab", 1, 5)) names.push_back("/x/" + n);
  exhaustive_soundness(patterns, names, path_matches, path_pattern_within);
}

TEST(RestrictionProperties, InclusionIsExactForConcreteChildren) {
  auto patterns = enumerate(kPatternSegs, 0, 3, true);
  auto paths = enumerate(kPathSegs, 0, 2, true);
  for (const auto& path : paths)
    for (const auto& pattern : patterns)
      ASSERT_EQ(path_pattern_within(path, pattern), path_matches(pattern, path)) << path << " / " << pattern;
}

TEST(RestrictionProperties, ExhaustiveBranchInclusionIsSound) {
  auto patterns = enumerate({"a", "ab", "*", "?", "**"}, 1, 3, false);
  auto branches = enumerate({"a", "b", "ab", "ba"}, 1, 3, false);
  exhaustive_soundness(patterns, branches, branch_matches, branch_pattern_within);
}

// ---- Randomized ----------------------------------------------------------------------------------
struct Gen {
  std::mt19937 rng{20240605};
  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }
  char letter() { return "ab.x"[below(4)]; }

  std::string pattern_segment() {
    if (below(6) == 0) return "**";
    std::string s;
    do {
      s.clear();
      for (std::size_t i = 0, n = 1 + below(4); i < n; ++i) s += "ab*?x."[below(6)];
    } while (s == "." || s == ".." || s.find("**") != std::string::npos);
    return s;
  }
  std::vector<std::string> pattern(std::size_t max_segments) {
    std::vector<std::string> segs;
    for (std::size_t i = 0, n = below(max_segments + 1); i < n; ++i) segs.push_back(pattern_segment());
    return segs;
  }
  // A random concrete instance of a pattern (may be invalid, e.g. a '.' segment: callers skip those).
  std::string instance(const std::vector<std::string>& segs) {
    std::vector<std::string> out;
    for (const auto& seg : segs) {
      if (seg == "**") {
        for (std::size_t i = 0, n = below(3); i < n; ++i) out.push_back(std::string(1, 'a' + below(3)) + letter());
        continue;
      }
      std::string s;
      for (char c : seg) {
        if (c == '?') s += letter();
        else if (c == '*') for (std::size_t i = 0, n = below(4); i < n; ++i) s += letter();
        else s += c;
      }
      out.push_back(s.empty() ? "x" : s);  // a segment is never empty; only '*'s made it so
    }
    return join(out, true);
  }
  // A child that is often, but not always, within `segs`: each wildcard is narrowed or left alone.
  std::vector<std::string> narrowed(const std::vector<std::string>& segs) {
    std::vector<std::string> out;
    for (const auto& seg : segs) {
      if (seg == "**") {
        switch (below(5)) {
          case 0: break;
          case 1: out.push_back("*"); break;
          case 2: out.push_back("a"); out.push_back("**"); break;
          case 3: out.push_back("**"); out.push_back("?b"); break;
          default: out.push_back("**");
        }
        continue;
      }
      std::string s;
      for (char c : seg) {
        if (c == '*' && below(2)) s += std::string("?xa*").substr(below(4), 1 + below(2));
        else if (c == '?' && below(2)) s += letter();
        else s += c;
      }
      out.push_back(s.find("**") == std::string::npos && s != "." && s != ".." ? s : seg);
    }
    if (below(4) == 0) out.push_back(pattern_segment());  // sometimes wider, sometimes still within
    return out;
  }
};

TEST(RestrictionProperties, MatchingAgreesWithTheReference) {
  Gen g;
  for (int i = 0; i < 2000; ++i) {
    auto pattern_segs = g.pattern(5);
    std::string pattern = join(pattern_segs, true);
    for (int k = 0; k < 5; ++k) {
      std::string path = k < 3 ? g.instance(pattern_segs) : g.instance(g.pattern(5));
      if (!normalize_path(path)) continue;
      ASSERT_EQ(path_matches(pattern, path), reference_path_match(pattern, path)) << pattern << " vs " << path;
      if (k < 3) {
        ASSERT_TRUE(path_matches(pattern, path)) << pattern << " vs its instance " << path;
      }
      // Branches share the engine: the same names without the leading '/' (when git allows them).
      std::string bp = pattern.substr(1), b = path.substr(1);
      if (normalize_branch_pattern(bp) && normalize_branch(b)) {
        ASSERT_EQ(branch_matches(bp, b), reference_path_match(pattern, path)) << bp << " vs " << b;
      }
    }
  }
}

TEST(RestrictionProperties, RandomInclusionIsSoundOnSampledInstances) {
  Gen g;
  std::size_t proved = 0, refuted = 0;
  for (int i = 0; i < 2000; ++i) {
    auto parent_segs = g.pattern(6);
    auto child_segs = g.below(5) == 0 ? g.pattern(6) : g.narrowed(parent_segs);
    std::string parent = join(parent_segs, true), child = join(child_segs, true);
    ASSERT_TRUE(validate_path_pattern(parent).has_value()) << parent;
    ASSERT_TRUE(validate_path_pattern(child).has_value()) << child;
    ASSERT_TRUE(path_pattern_within(parent, parent)) << parent;
    if (!path_pattern_within(child, parent)) {
      ++refuted;
      continue;
    }
    ++proved;
    for (int k = 0; k < 15; ++k) {
      std::string path = g.instance(child_segs);
      if (!normalize_path(path)) continue;
      ASSERT_TRUE(path_matches(child, path)) << child << " vs its instance " << path;
      ASSERT_TRUE(path_matches(parent, path)) << child << " claimed within " << parent << " but " << path;
    }
    // The branch twin of the same pair, when both are valid branch patterns.
    std::string bc = child.substr(1), bpar = parent.substr(1);
    if (!bc.empty() && !bpar.empty() && normalize_branch_pattern(bc) && normalize_branch_pattern(bpar)) {
      EXPECT_TRUE(branch_pattern_within(bc, bpar)) << bc << " / " << bpar;
    }
  }
  std::printf("  random pairs: %zu proved within, %zu not\n", proved, refuted);
  EXPECT_GT(proved, 400u);
  EXPECT_GT(refuted, 200u);
}

}  // namespace
}  // namespace archon::agents
