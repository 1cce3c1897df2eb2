#include "agents/restrictions.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

namespace archon::agents {
namespace {

using Err = Unexpected<std::string>;

// ---- Compiled patterns ---------------------------------------------------------------------------
// A path or branch is a list of parts (segments, components); a part is "**" (globstar) or a list of
// tokens over Unicode code points. A concrete path or branch has only literal tokens.
enum class Kind : std::uint8_t { kLit, kOne, kAny };  // a literal code point, '?', '*'
struct Tok {
  Kind kind = Kind::kLit;
  char32_t cp = 0;
};
using Seg = std::vector<Tok>;
struct Part {
  bool globstar = false;
  Seg seg;
};
using Compiled = std::vector<Part>;

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool decode_utf8(std::string_view s, std::u32string& out) {
  out.clear();
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    std::size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0;
    if (len == 0 || b > 0xF4 || i + len > s.size()) return false;
    char32_t cp = b & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr std::array<char32_t, 5> kMin{0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    out.push_back(cp);
    i += len;
  }
  return true;
}

// C0, DEL and C1: Unicode's "Cc" category.
bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

bool contains(std::u32string_view s, std::u32string_view what) { return s.find(what) != s.npos; }

// Splits after validation: `text` has no empty part.
std::vector<std::u32string_view> split(std::u32string_view text) {
  std::vector<std::u32string_view> parts;
  for (std::size_t start = 0;;) {
    std::size_t end = text.find(U'/', start);
    parts.push_back(text.substr(start, end == text.npos ? text.npos : end - start));
    if (end == text.npos) return parts;
    start = end + 1;
  }
}

// One part of a pattern (`wild`) or of a concrete name. `what` names it in errors.
Expected<Part, std::string> compile_part(std::u32string_view text, bool wild, const std::string& what) {
  Part part;
  if (wild && text == U"**") {
    part.globstar = true;
    return part;
  }
  if (wild && contains(text, U"**")) return Err{what + ": '**' must be a whole " + (what[0] == 'b' ? "component" : "segment")};
  part.seg.reserve(text.size());
  for (char32_t c : text) {
    Kind k = !wild ? Kind::kLit : c == U'*' ? Kind::kAny : c == U'?' ? Kind::kOne : Kind::kLit;
    part.seg.push_back(Tok{k, k == Kind::kLit ? c : 0});
  }
  return part;
}

Expected<Compiled, std::string> compile_path(std::string_view raw, bool wild) {
  const std::string what = wild ? "path pattern" : "path";
  const std::size_t max = wild ? kMaxPathPatternBytes : kMaxPathBytes;
  if (raw.empty()) return Err{what + " is empty"};
  if (raw.size() > max) return Err{what + " is longer than " + std::to_string(max) + " bytes"};
  std::u32string cps;
  if (!decode_utf8(raw, cps)) return Err{what + " is not valid UTF-8"};
  for (char32_t c : cps) {
    if (is_control(c)) return Err{what + " contains a control character"};
    if (c == U'\\') return Err{what + " contains a backslash"};
    if (c == U'%') return Err{what + " contains '%' (percent-encoding is refused, never decoded)"};
  }
  if (cps[0] != U'/') return Err{what + " is not absolute (must start with '/')"};
  Compiled out;
  if (cps.size() == 1) return out;  // the root
  if (cps.back() == U'/') return Err{what + " ends with '/'"};
  for (auto seg : split(std::u32string_view(cps).substr(1))) {
    if (seg.empty()) return Err{what + " contains an empty segment ('//')"};
    if (seg == U".") return Err{what + " contains a '.' segment"};
    if (seg == U"..") return Err{what + " contains a '..' segment"};
    auto part = compile_part(seg, wild, what);
    if (!part) return Err{part.error()};
    out.push_back(std::move(*part));
  }
  return out;
}

struct CompiledBranch {
  std::string name;  // without refs/heads/
  Compiled parts;
};

// git check-ref-format --branch, plus this module's additions (see the header).
Expected<CompiledBranch, std::string> compile_branch(std::string_view raw, bool wild) {
  const std::string what = wild ? "branch pattern" : "branch";
  std::string_view s = raw;
  if (s.starts_with("refs/heads/")) s.remove_prefix(11);
  if (s.empty()) return Err{what + " is empty"};
  if (s.size() > kMaxBranchBytes) return Err{what + " is longer than " + std::to_string(kMaxBranchBytes) + " bytes"};
  std::u32string cps;
  if (!decode_utf8(s, cps)) return Err{what + " is not valid UTF-8"};
  for (char32_t c : cps) {
    if (is_control(c)) return Err{what + " contains a control character"};
    if (c == U' ') return Err{what + " contains a space"};
    for (char32_t bad : std::u32string_view(wild ? U"~^:\\[" : U"~^:\\[*?"))
      if (c == bad) return Err{what + " contains '" + static_cast<char>(c) + "'"};
  }
  if (s.starts_with("refs/")) return Err{what + " starts with 'refs/' (only 'refs/heads/' is understood)"};
  if (s == "HEAD") return Err{what + " is 'HEAD'"};
  if (s == "@") return Err{what + " is '@'"};
  if (s.find("..") != s.npos) return Err{what + " contains '..'"};
  if (s.find("@{") != s.npos) return Err{what + " contains '@{'"};
  if (s.front() == '-') return Err{what + " starts with '-'"};
  if (s.front() == '/') return Err{what + " starts with '/'"};
  if (s.back() == '/') return Err{what + " ends with '/'"};
  if (s.back() == '.') return Err{what + " ends with '.'"};
  if (s.find("//") != s.npos) return Err{what + " contains '//'"};
  CompiledBranch out{std::string(s), {}};
  for (auto comp : split(cps)) {
    if (comp.front() == U'.') return Err{what + " has a component starting with '.'"};
    if (comp.ends_with(U".lock")) return Err{what + " has a component ending with '.lock'"};
    auto part = compile_part(comp, wild, what);
    if (!part) return Err{part.error()};
    out.parts.push_back(std::move(*part));
  }
  return out;
}

// ---- Matching: the classic greedy wildcard algorithm, at both levels ------------------------------
// `s` is concrete; in `p` a star element matches any run of elements of `s` (including none) and any
// other element matches exactly one element for which one(s_elem, p_elem) holds.
template <class S, class P, class IsStar, class One>
bool greedy_match(const std::vector<S>& s, const std::vector<P>& p, IsStar is_star, One one) {
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t i = 0, j = 0, star_j = kNone, star_i = 0;
  while (i < s.size()) {
    if (j < p.size() && is_star(p[j])) {
      star_j = j++;
      star_i = i;
    } else if (j < p.size() && one(s[i], p[j])) {
      ++i;
      ++j;
    } else if (star_j != kNone) {
      j = star_j + 1;
      i = ++star_i;
    } else {
      return false;
    }
  }
  while (j < p.size() && is_star(p[j])) ++j;
  return j == p.size();
}

bool seg_match(const Seg& s, const Seg& p) {
  return greedy_match(
      s, p, [](const Tok& t) { return t.kind == Kind::kAny; },
      [](const Tok& a, const Tok& b) { return b.kind == Kind::kOne || a.cp == b.cp; });
}

bool compiled_match(const Compiled& s, const Compiled& p) {
  return greedy_match(
      s, p, [](const Part& x) { return x.globstar; },
      [](const Part& a, const Part& b) { return seg_match(a.seg, b.seg); });
}

// ---- Inclusion ------------------------------------------------------------------------------------
// W(i, j): every string matched by c[i..] is matched by p[j..]. A parent star may absorb the child's
// next element, whatever it is, or nothing; any other parent element must face a non-star child
// element that it covers. Sound by induction; two rows of the table are kept.
template <class T, class IsStar, class Covers>
bool dp_within(const std::vector<T>& c, const std::vector<T>& p, IsStar is_star, Covers covers) {
  const std::size_t n = c.size(), m = p.size();
  std::array<char, 128> small{};
  std::vector<char> big(m + 1 > small.size() / 2 ? 2 * (m + 1) : 0);
  char* next = big.empty() ? small.data() : big.data();
  char* cur = next + m + 1;
  next[m] = 1;
  for (std::size_t j = m; j-- > 0;) next[j] = is_star(p[j]) && next[j + 1];
  for (std::size_t i = n; i-- > 0;) {
    cur[m] = 0;
    for (std::size_t j = m; j-- > 0;) {
      if (is_star(p[j])) cur[j] = cur[j + 1] || next[j];
      else cur[j] = next[j + 1] && !is_star(c[i]) && covers(c[i], p[j]);
    }
    std::swap(cur, next);
  }
  return next[0] != 0;
}

bool seg_within(const Seg& c, const Seg& p) {
  return dp_within(
      c, p, [](const Tok& t) { return t.kind == Kind::kAny; },
      [](const Tok& a, const Tok& b) { return b.kind == Kind::kOne || (a.kind == Kind::kLit && a.cp == b.cp); });
}

// Rewrites a pattern into an equivalent form the inclusion table handles better. Inside a part, a
// run of '*' and '?' becomes its '?'s and one '*' (k '?' then '*' when `fixed_first`, else '*' then
// k '?'). Across parts, a run of "**" and parts matching any one part ("*", "?*", "*?") becomes those
// parts and one "**", in the same order. In a child, a part that is only '*' becomes "?*" or "*?"
// (parts are never empty); a parent keeps "*", which absorbs anything.
Compiled arranged(Compiled c, bool child, bool fixed_first) {
  for (auto& part : c) {
    Seg out;
    for (std::size_t i = 0; i < part.seg.size();) {
      if (part.seg[i].kind == Kind::kLit) {
        out.push_back(part.seg[i++]);
        continue;
      }
      std::size_t ones = 0;
      bool star = false;
      for (; i < part.seg.size() && part.seg[i].kind != Kind::kLit; ++i) {
        if (part.seg[i].kind == Kind::kOne) ++ones;
        else star = true;
      }
      if (star && !fixed_first) out.push_back(Tok{Kind::kAny, 0});
      out.insert(out.end(), ones, Tok{Kind::kOne, 0});
      if (star && fixed_first) out.push_back(Tok{Kind::kAny, 0});
    }
    if (child && out.size() == 1 && out[0].kind == Kind::kAny) out.insert(fixed_first ? out.begin() : out.end(), Tok{Kind::kOne, 0});
    part.seg = std::move(out);
  }
  auto any_part = [](const Part& p) {  // "*", "?*" or "*?" (already arranged)
    if (p.globstar || p.seg.empty() || p.seg.size() > 2) return false;
    std::size_t stars = 0;
    for (const Tok& t : p.seg) {
      if (t.kind == Kind::kLit) return false;
      stars += t.kind == Kind::kAny;
    }
    return stars == 1;
  };
  Compiled out;
  for (std::size_t i = 0; i < c.size();) {
    if (!c[i].globstar && !any_part(c[i])) {
      out.push_back(std::move(c[i++]));
      continue;
    }
    bool globstar = false;
    std::size_t first = out.size();
    for (; i < c.size() && (c[i].globstar || any_part(c[i])); ++i) {
      if (c[i].globstar) globstar = true;
      else out.push_back(std::move(c[i]));
    }
    if (globstar) out.insert(fixed_first ? out.end() : out.begin() + static_cast<std::ptrdiff_t>(first), Part{true, {}});
  }
  return out;
}

bool compiled_within(const Compiled& c, const Compiled& p) {
  return dp_within(
      c, p, [](const Part& x) { return x.globstar; },
      [](const Part& a, const Part& b) { return seg_within(a.seg, b.seg); });
}

// A pattern in both arrangements; a child is within a parent when either arrangement proves it.
struct Prepared {
  Compiled fixed_first, star_first;
};
Prepared prepare(const Compiled& c, bool child) { return {arranged(c, child, true), arranged(c, child, false)}; }
bool prepared_within(const Prepared& c, const Prepared& p) {
  return compiled_within(c.fixed_first, p.fixed_first) || compiled_within(c.star_first, p.star_first);
}

// ---- Lists ------------------------------------------------------------------------------------------
struct ListKind {
  const char* key;
  std::size_t max_total_bytes;
  Expected<std::string, std::string> (*validate)(std::string_view);
};
constexpr ListKind kPathList{"file_paths", kMaxListBytes, &validate_path_pattern};
constexpr ListKind kBranchList{"git_branches", kMaxListBytes, &normalize_branch_pattern};

// Validates and normalizes a list; drops duplicates.
Expected<std::vector<std::string>, std::string> check_list(const std::vector<std::string>& in, const ListKind& kind) {
  const std::string key = kind.key;
  if (in.size() > kMaxPatternsPerList) return Err{key + ": more than " + std::to_string(kMaxPatternsPerList) + " entries"};
  std::size_t total = 0;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    total += in[i].size();
    auto v = kind.validate(in[i]);
    if (!v) return Err{key + "[" + std::to_string(i) + "]: " + v.error()};
    if (std::find(out.begin(), out.end(), *v) == out.end()) out.push_back(std::move(*v));
  }
  if (total > kind.max_total_bytes) return Err{key + ": longer than " + std::to_string(kind.max_total_bytes) + " bytes in all"};
  return out;
}

bool printable_key(std::string_view k) {
  return !k.empty() && k.size() <= 64 && std::all_of(k.begin(), k.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

}  // namespace

// ---- Public API -------------------------------------------------------------------------------------
Expected<std::string, std::string> normalize_path(std::string_view raw) {
  auto c = compile_path(raw, false);
  if (!c) return Err{c.error()};
  return std::string(raw);
}

Expected<std::string, std::string> validate_path_pattern(std::string_view pattern) {
  auto c = compile_path(pattern, true);
  if (!c) return Err{c.error()};
  return std::string(pattern);
}

bool path_matches(std::string_view pattern, std::string_view path) {
  auto p = compile_path(pattern, true);
  auto s = compile_path(path, false);
  return p && s && compiled_match(*s, *p);
}

Expected<std::string, std::string> normalize_branch(std::string_view raw) {
  auto c = compile_branch(raw, false);
  if (!c) return Err{c.error()};
  return std::move(c->name);
}

Expected<std::string, std::string> normalize_branch_pattern(std::string_view pattern) {
  auto c = compile_branch(pattern, true);
  if (!c) return Err{c.error()};
  return std::move(c->name);
}

bool branch_matches(std::string_view pattern, std::string_view branch) {
  auto p = compile_branch(pattern, true);
  auto s = compile_branch(branch, false);
  return p && s && compiled_match(s->parts, p->parts);
}

namespace {
struct Unit {
  std::string_view name;
  std::uint64_t bytes;
};
constexpr std::array<Unit, 4> kUnits{{{"GB", 1ULL << 30}, {"MB", 1ULL << 20}, {"KB", 1ULL << 10}, {"B", 1}}};
}  // namespace

Expected<std::uint64_t, std::string> parse_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return Err{std::string("size must start with a digit (e.g. \"10MB\")")};
  if (digits > 1 && text[0] == '0') return Err{std::string("size has a leading zero")};
  std::string_view unit = text.substr(digits);
  const Unit* found = nullptr;
  for (const auto& u : kUnits) {
    if (unit.size() == u.name.size() &&
        std::equal(unit.begin(), unit.end(), u.name.begin(), [](char a, char b) { return (a >= 'a' && a <= 'z' ? a - 32 : a) == b; }))
      found = &u;
  }
  if (!found) return Err{std::string("size must end with a unit: B, KB, MB or GB (1KB = 1024 bytes)")};
  std::uint64_t value = 0;
  const std::uint64_t limit = kMaxSizeBytes / found->bytes;
  for (std::size_t i = 0; i < digits; ++i) {
    value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (value > limit) return Err{"size is larger than " + std::to_string(kMaxSizeBytes) + " bytes"};
  }
  return value * found->bytes;
}

std::string format_size(std::uint64_t bytes) {
  for (const auto& u : kUnits)
    if (bytes != 0 && bytes % u.bytes == 0) return std::to_string(bytes / u.bytes) + std::string(u.name);
  return "0B";
}

Expected<Restrictions, std::string> parse_restrictions(const boost::json::object& json) {
  Restrictions r;
  for (const auto& kv : json) {
    std::string_view key = kv.key();
    const ListKind* kind = key == "file_paths" ? &kPathList : key == "git_branches" ? &kBranchList : nullptr;
    if (kind) {
      if (!kv.value().is_array()) return Err{std::string(key) + ": must be an array of strings"};
      const auto& arr = kv.value().get_array();
      if (arr.size() > kMaxPatternsPerList)
        return Err{std::string(key) + ": more than " + std::to_string(kMaxPatternsPerList) + " entries"};
      std::vector<std::string> raw;
      for (std::size_t i = 0; i < arr.size(); ++i) {
        if (!arr[i].is_string()) return Err{std::string(key) + "[" + std::to_string(i) + "]: must be a string"};
        raw.emplace_back(arr[i].get_string());
      }
      auto list = check_list(raw, *kind);
      if (!list) return Err{list.error()};
      (kind == &kPathList ? r.file_paths : r.git_branches) = std::move(*list);
    } else if (key == "max_file_size") {
      const auto& v = kv.value();
      if (v.is_string()) {
        auto size = parse_size(v.get_string());
        if (!size) return Err{"max_file_size: " + size.error()};
        r.max_file_size = *size;
      } else if (v.is_int64() && v.get_int64() >= 0 && static_cast<std::uint64_t>(v.get_int64()) <= kMaxSizeBytes) {
        r.max_file_size = static_cast<std::uint64_t>(v.get_int64());
      } else if (v.is_uint64() && v.get_uint64() <= kMaxSizeBytes) {
        r.max_file_size = v.get_uint64();
      } else {
        return Err{"max_file_size: must be a size such as \"10MB\" or a whole number of bytes from 0 to " +
                   std::to_string(kMaxSizeBytes)};
      }
    } else {
      return Err{(printable_key(key) ? "unknown key '" + std::string(key) + "'" : std::string("unknown key")) +
                 " (accepted: file_paths, git_branches, max_file_size)"};
    }
  }
  return r;
}

boost::json::object to_json(const Restrictions& r) {
  boost::json::object o;
  o["file_paths"] = boost::json::array(r.file_paths.begin(), r.file_paths.end());
  o["git_branches"] = boost::json::array(r.git_branches.begin(), r.git_branches.end());
  if (r.max_file_size) o["max_file_size"] = format_size(*r.max_file_size);
  return o;
}

bool path_pattern_within(std::string_view child, std::string_view parent) {
  auto c = compile_path(child, true);
  auto p = compile_path(parent, true);
  return c && p && prepared_within(prepare(*c, true), prepare(*p, false));
}

bool branch_pattern_within(std::string_view child, std::string_view parent) {
  auto c = compile_branch(child, true);
  auto p = compile_branch(parent, true);
  return c && p && prepared_within(prepare(c->parts, true), prepare(p->parts, false));
}

namespace {
// Each requested pattern within some parent pattern; parent patterns that do not compile cover nothing.
Expected<std::vector<std::string>, std::string> narrow_list(const std::vector<std::string>& parent,
                                                            const std::vector<std::string>& requested, const ListKind& kind) {
  if (requested.empty()) return parent;
  auto list = check_list(requested, kind);
  if (!list) return list;
  const bool paths = &kind == &kPathList;
  auto compile = [paths](std::string_view s, bool child) -> std::optional<Prepared> {
    if (paths) {
      auto c = compile_path(s, true);
      return c ? std::optional(prepare(*c, child)) : std::nullopt;
    }
    auto c = compile_branch(s, true);
    return c ? std::optional(prepare(c->parts, child)) : std::nullopt;
  };
  std::vector<Prepared> parents;
  for (const auto& p : parent)
    if (auto c = compile(p, false)) parents.push_back(std::move(*c));
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto child = compile((*list)[i], true);
    bool ok = child && std::any_of(parents.begin(), parents.end(), [&](const Prepared& p) { return prepared_within(*child, p); });
    if (!ok) return Err{std::string(kind.key) + "[" + std::to_string(i) + "] is not within the parent's " + kind.key};
  }
  return list;
}
}  // namespace

Expected<Restrictions, std::string> narrow(const Restrictions& parent, const Restrictions& requested) {
  Restrictions out;
  auto paths = narrow_list(parent.file_paths, requested.file_paths, kPathList);
  if (!paths) return Err{paths.error()};
  auto branches = narrow_list(parent.git_branches, requested.git_branches, kBranchList);
  if (!branches) return Err{branches.error()};
  out.file_paths = std::move(*paths);
  out.git_branches = std::move(*branches);
  out.max_file_size = parent.max_file_size;
  if (requested.max_file_size) {
    if (*requested.max_file_size > kMaxSizeBytes) return Err{std::string("max_file_size is too large")};
    if (parent.max_file_size && *requested.max_file_size > *parent.max_file_size)
      return Err{std::string("max_file_size is larger than the parent's")};
    out.max_file_size = requested.max_file_size;
  }
  return out;
}

Decision check_resource(const Restrictions& r, const Resource& resource) {
  if (resource.path) {
    auto s = compile_path(*resource.path, false);
    if (!s) return {false, "invalid_path", s.error()};
    bool ok = std::any_of(r.file_paths.begin(), r.file_paths.end(), [&](const std::string& pattern) {
      auto p = compile_path(pattern, true);
      return p && compiled_match(*s, *p);
    });
    if (!ok) return {false, "path_not_allowed", ""};
  }
  if (resource.branch) {
    auto s = compile_branch(*resource.branch, false);
    if (!s) return {false, "invalid_branch", s.error()};
    bool ok = std::any_of(r.git_branches.begin(), r.git_branches.end(), [&](const std::string& pattern) {
      auto p = compile_branch(pattern, true);
      return p && compiled_match(s->parts, p->parts);
    });
    if (!ok) return {false, "branch_not_allowed", ""};
  }
  if (resource.size && r.max_file_size && *resource.size > *r.max_file_size) return {false, "size_exceeds_limit", ""};
  return {true, "allowed", ""};
}

}  // namespace archon::agents
