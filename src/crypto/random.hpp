// Secrets and digests: CSPRNG tokens (OpenSSL RAND_bytes) and SHA-256. Thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace archon::crypto {

// `bytes` random bytes, base64url-encoded (32 bytes -> 43 characters, 256 bits).
std::string random_token(std::size_t bytes = 32);
// An identifier of 16 bytes, base64url-encoded (22 characters): the 48-bit big-endian
// `unix_millis` then 80 random bits. Ids minted close together in time share their leading
// characters, so a B-tree keyed on them takes new rows on a few hot pages instead of one random
// page each (UUIDv7's idea). Not a secret: it reveals its creation time to the millisecond.
std::string time_ordered_id(std::int64_t unix_millis);
// `bytes` random bytes as lowercase hex (not a secret's format: for nonces and ids).
std::string random_hex(std::size_t bytes);
// The same layout as 32 lowercase hex characters: ordered by creation time (to the millisecond)
// under byte-wise comparison, so "ORDER BY id" lists newest first within a second too.
std::string time_ordered_hex_id(std::int64_t unix_millis);
// Raw 32-byte SHA-256 digest.
std::string sha256(std::string_view data);
// Constant-time equality for secrets and digests.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace archon::crypto
