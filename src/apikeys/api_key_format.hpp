// The shape of an API key: "archon_sk_" + 32 base62 random characters (190 bits) + a 6-character
// base62 CRC-32 of everything before it. The fixed prefix and the checksum let secret scanners
// (GitHub's, gitleaks) recognise a leaked key without asking the server, and let the server
// refuse a mistyped or truncated key before any lookup. Pure functions; thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace archon::apikeys {

inline constexpr std::string_view kKeyPrefix = "archon_sk_";
inline constexpr std::size_t kRandomChars = 32;
inline constexpr std::size_t kChecksumChars = 6;
inline constexpr std::size_t kKeyLength = kKeyPrefix.size() + kRandomChars + kChecksumChars;  // 48
// What the console and listings show of a key: the fixed prefix and 4 random characters.
inline constexpr std::size_t kDisplayPrefixChars = kKeyPrefix.size() + 4;

// A new key from the CSPRNG.
std::string generate_api_key();
// True when `key` has the exact shape and its checksum matches.
bool is_well_formed_api_key(std::string_view key) noexcept;

// CRC-32 (IEEE 802.3, as zlib's crc32) and its fixed-width base62 form; exposed for tests.
std::uint32_t crc32(std::string_view data) noexcept;
std::string base62_fixed(std::uint32_t value, std::size_t width);

}  // namespace archon::apikeys
