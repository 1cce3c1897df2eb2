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
// True if the text has a C0 control character (NUL included) or DEL: no address has one, so a
// request carrying one is malformed input (400), not a wrong address.
bool has_control_character(std::string_view text);
// Lowercased (ASCII) for comparison; the stored address keeps the user's spelling.
std::string normalize_email(std::string_view email);
// The account a client's raw input names, as counters and limits key it: parsed (trimmed) then
// normalized, or the raw text normalized when it does not parse. " Ada@X.com" and "ada@x.com"
// are the same key, so padding an address cannot dodge a limit.
std::string account_key(std::string_view raw);

}  // namespace archon::identity
