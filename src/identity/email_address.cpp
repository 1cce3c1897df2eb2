#include "identity/email_address.hpp"

#include <cctype>

#include "core/strict_json.hpp"

namespace archon::identity {

std::optional<std::string> parse_email(std::string_view raw) {
  while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
  while (!raw.empty() && raw.back() == ' ') raw.remove_suffix(1);
  if (raw.size() < 3 || raw.size() > 254) return std::nullopt;
  auto at = raw.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || raw.find('@', at + 1) != std::string_view::npos)
    return std::nullopt;
  for (unsigned char c : raw)
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == ',' || c == ';' ||
        c == '(' || c == ')' || c == '[' || c == ']' || c == ':')
      return std::nullopt;
  // Internationalized addresses (RFC 6532) are welcome, but only as valid UTF-8: the mailer
  // refuses anything else, and an address it cannot mail is an account that cannot verify.
  if (!json::parse_strict("\"" + std::string(raw) + "\"").has_value()) return std::nullopt;
  std::string_view domain = raw.substr(at + 1);
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos || domain.front() == '-')
    return std::nullopt;
  std::string_view local = raw.substr(0, at);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return std::nullopt;
  return std::string(raw);
}

bool has_control_character(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::string normalize_email(std::string_view email) {
  std::string out(email);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string account_key(std::string_view raw) {
  auto parsed = parse_email(raw);
  return normalize_email(parsed ? std::string_view(*parsed) : raw);
}

}  // namespace archon::identity
