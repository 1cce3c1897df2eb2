// Restrictions of agent capability tokens: which file paths, git branches and file sizes an agent may
// act on, how a delegated (child) token's restrictions are checked to be no wider than its parent's,
// and the allow/deny decision for one action. The exact rules are in docs/agent-restrictions.md,
// which a tool server in any language can implement from; this module is their reference.
//
// Pure functions, no I/O, no shared state: thread-safe. Error strings never echo the input.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/expected.hpp"

namespace archon::agents {

inline constexpr std::size_t kMaxPathBytes = 4096;          // a concrete path
inline constexpr std::size_t kMaxPathPatternBytes = 1024;   // a file_paths pattern
inline constexpr std::size_t kMaxBranchBytes = 255;         // a branch name or pattern, without refs/heads/
inline constexpr std::size_t kMaxPatternsPerList = 64;      // entries of file_paths, of git_branches
inline constexpr std::size_t kMaxListBytes = 4096;          // all the patterns of one list together
inline constexpr std::uint64_t kMaxSizeBytes = (std::uint64_t{1} << 53) - 1;  // exact in every JSON

// ---- Paths -------------------------------------------------------------------------------------
// Validates a concrete absolute POSIX path and returns its canonical form, which is the input itself:
// nothing is ever rewritten (no "..", ".", "//", trailing "/", backslash, "%", control character or
// invalid UTF-8 is accepted, so there is nothing to normalize away). The error says why it is refused.
Expected<std::string, std::string> normalize_path(std::string_view raw);
// Validates a file_paths pattern: a path in which '*' and '?' are wildcards and "**" is a whole segment.
Expected<std::string, std::string> validate_path_pattern(std::string_view pattern);
// True when the valid `pattern` matches the valid path `path`; false when either is invalid.
bool path_matches(std::string_view pattern, std::string_view path);

// ---- Branches ----------------------------------------------------------------------------------
// Strips one leading "refs/heads/" and enforces git check-ref-format --branch (plus the additions
// documented: valid UTF-8, no C1 controls, at most 255 bytes, not "HEAD", not starting "refs/").
Expected<std::string, std::string> normalize_branch(std::string_view raw);
// The same for a git_branches pattern, where '*' and '?' are wildcards and "**" a whole component.
Expected<std::string, std::string> normalize_branch_pattern(std::string_view pattern);
// True when the valid `pattern` matches the valid branch `branch` (both may carry refs/heads/).
bool branch_matches(std::string_view pattern, std::string_view branch);

// ---- Sizes -------------------------------------------------------------------------------------
// "<digits><unit>", unit B, KB, MB or GB in any case, binary: 1KB = 1024 B, 1MB = 1024^2 B,
// 1GB = 1024^3 B. No sign, spaces, fraction, exponent or leading zero; at most kMaxSizeBytes.
Expected<std::uint64_t, std::string> parse_size(std::string_view text);
// The inverse: the largest unit that divides `bytes` exactly ("10MB", "1536B", "0B").
std::string format_size(std::uint64_t bytes);

// ---- Restriction sets --------------------------------------------------------------------------
struct Restrictions {
  std::vector<std::string> file_paths;     // empty: no path is allowed
  std::vector<std::string> git_branches;   // empty: no branch is allowed (normalized, no refs/heads/)
  std::optional<std::uint64_t> max_file_size;  // none: no size limit
};

// {"file_paths": [pattern...], "git_branches": [pattern...], "max_file_size": "10MB" | bytes}.
// Strict: an unknown key, a non-array list, a non-string entry, an invalid pattern, more than
// kMaxPatternsPerList entries or kMaxListBytes bytes in a list, or a bad size is refused with an error
// naming the key ("file_paths[2]: ..."). A missing list is empty (deny), a missing max_file_size is no limit. Duplicate entries
// (after normalization) are dropped, keeping the first.
Expected<Restrictions, std::string> parse_restrictions(const boost::json::object& json);
// Always writes both lists; writes max_file_size (as format_size) only when there is a limit.
boost::json::object to_json(const Restrictions& r);

// ---- Delegation --------------------------------------------------------------------------------
// Sound, not complete: true only when every path (branch) the child pattern matches is provably
// matched by the parent pattern (docs/agent-restrictions.md, "Delegation", gives the exact rules;
// exact for a child without wildcards). Invalid patterns, and what the rules cannot prove, answer false.
bool path_pattern_within(std::string_view child, std::string_view parent);
bool branch_pattern_within(std::string_view child, std::string_view parent);
// The child's restrictions: each requested pattern must be valid and within one single parent pattern,
// and a requested max_file_size must not exceed the parent's. An empty requested list, or no requested
// max_file_size, inherits the parent's. The child gets the requested patterns (normalized), not an
// intersection. The error names the first offending entry ("file_paths[1] is not within ...").
Expected<Restrictions, std::string> narrow(const Restrictions& parent, const Restrictions& requested);

// ---- Decision for one action -------------------------------------------------------------------
struct Resource {
  std::optional<std::string> path;
  std::optional<std::string> branch;
  std::optional<std::uint64_t> size;
};

struct Decision {
  bool allowed = false;
  // "allowed", "invalid_path", "path_not_allowed", "invalid_branch", "branch_not_allowed",
  // "size_exceeds_limit".
  std::string reason;
  std::string detail;  // for invalid_*: why the path or branch was refused; otherwise empty
};

// Checks only what the resource gives, in the order path, branch, size; the first failure decides.
// A resource with nothing in it is allowed (whether an action needs a path is the caller's rule).
Decision check_resource(const Restrictions& r, const Resource& resource);

}  // namespace archon::agents
