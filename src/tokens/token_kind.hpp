// The two kinds of JWT the server issues. They are mutually exclusive everywhere: own keys,
// own `typ`, own audience, own `type` claim.
#pragma once
#include <optional>
#include <string_view>

namespace archon::tokens {

enum class TokenKind { kAccess, kAgent };

constexpr std::string_view kind_name(TokenKind k) { return k == TokenKind::kAccess ? "access" : "agent"; }
constexpr std::string_view kind_typ(TokenKind k) { return k == TokenKind::kAccess ? "at+jwt" : "agent+jwt"; }
constexpr std::string_view kind_audience(TokenKind k) {
  return k == TokenKind::kAccess ? "archon-api" : "archon-agent-system";
}
inline std::optional<TokenKind> parse_kind(std::string_view s) {
  if (s == "access") return TokenKind::kAccess;
  if (s == "agent") return TokenKind::kAgent;
  return std::nullopt;
}

}  // namespace archon::tokens
