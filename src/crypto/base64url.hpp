// Strict base64url without padding (RFC 7515 §2, RFC 4648 §5), the only encoding JOSE uses.
// Decoding accepts exactly one spelling per byte string. Thread-safe (pure functions).
#pragma once
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace archon::crypto {

enum class Base64UrlError {
  kInvalidCharacter,  // anything outside [A-Za-z0-9_-]: '=', '+', '/', whitespace, non-ASCII
  kInvalidLength,     // length ≡ 1 (mod 4) cannot come from any byte string
  kNonCanonical,      // the unused low bits of the last character are not zero
};

// A short English description; never echoes the input.
const char* describe(Base64UrlError e) noexcept;

// Encodes any bytes (std::string_view is used as a byte span) without padding.
std::string base64url_encode(std::string_view bytes);

// Decodes the canonical unpadded base64url spelling of a byte string, and nothing else:
// base64url_encode(*base64url_decode(s)) == s whenever decoding succeeds. Empty in, empty out.
Expected<std::string, Base64UrlError> base64url_decode(std::string_view text);

}  // namespace archon::crypto
