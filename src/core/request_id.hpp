// Request ids: a client's X-Request-ID is kept when it is safe to echo and log,
// otherwise one is generated. Thread-safe (per-thread generator).
#pragma once
#include <string>
#include <string_view>

namespace archon {

// 1..64 characters of [A-Za-z0-9._-].
bool is_acceptable_request_id(std::string_view id) noexcept;
// "req_" + 24 lowercase hex digits. Not a secret: a fast per-thread PRNG is enough.
std::string generate_request_id();

}  // namespace archon
