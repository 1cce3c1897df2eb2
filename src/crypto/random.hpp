// Secrets and digests: CSPRNG tokens (OpenSSL RAND_bytes) and SHA-256. Thread-safe.
#pragma once
#include <string>
#include <string_view>

namespace archon::crypto {

// `bytes` random bytes, base64url-encoded (32 bytes -> 43 characters, 256 bits).
std::string random_token(std::size_t bytes = 32);
// Raw 32-byte SHA-256 digest.
std::string sha256(std::string_view data);
// Constant-time equality for secrets and digests.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace archon::crypto
