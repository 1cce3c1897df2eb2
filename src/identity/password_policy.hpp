// What a new password must satisfy (NIST SP 800-63B: length and a blocklist, no composition
// rules). Stateless and thread-safe; the common-password list is read-only once loaded.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace archon::identity {

struct PasswordPolicy {
  // Counted in Unicode code points, not bytes; NUL is a character like any other.
  std::size_t min_chars = 12;
  std::size_t max_chars = 128;
};

// std::nullopt when `password` is acceptable, else a message safe to show the client (it never
// repeats the password). Checks, in order: UTF-8, length, the common-password list.
std::optional<std::string> check_password(std::string_view password, const PasswordPolicy& policy);

// The number of code points in `text`, or std::nullopt when it is not valid UTF-8 (overlong
// forms, surrogates, code points above U+10FFFF and truncated sequences are all invalid).
std::optional<std::size_t> count_utf8_code_points(std::string_view text);

// The list of common passwords shipped in the binary (asset "passwords/common.txt", built by
// scripts/build_password_list.py: one per line, UTF-8, ASCII letters lowercased).
class CommonPasswords {
 public:
  // Loaded on first use; call once at start-up so a missing asset stops the server there
  // (std::runtime_error) and the first registration does not pay for the load.
  static const CommonPasswords& instance();

  // Builds a list from text in the asset's format (one password per line, any order; a
  // trailing '\r' is dropped); keeps a copy with ASCII letters lowercased.
  explicit CommonPasswords(std::string_view list_text);
  // The entries are views into owned_text_, so the object stays where it was built.
  CommonPasswords(const CommonPasswords&) = delete;
  CommonPasswords& operator=(const CommonPasswords&) = delete;

  // Compares with ASCII letters folded to lowercase; other bytes compare exactly.
  bool contains(std::string_view password) const;
  std::size_t size() const { return sorted_.size(); }

 private:
  std::string owned_text_;
  std::vector<std::string_view> sorted_;
};

}  // namespace archon::identity
