// Email addresses as accounts use them: a pragmatic syntax check (not the full RFC 5322
// grammar, which accepts addresses no mail system delivers) and the normalized form used for
// uniqueness and lockout counters. Pure functions.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace archon::identity {

// The trimmed address, or nullopt if it is not an address we accept: 3..254 characters, one
// '@', a non-empty local part of at most 64, a domain with a dot and no empty labels, no
// spaces, control characters, quotes, angle brackets or backslashes.
std::optional<std::string> parse_email(std::string_view raw);
// Lowercased (ASCII) for comparison; the stored address keeps the user's spelling.
std::string normalize_email(std::string_view email);

}  // namespace archon::identity
