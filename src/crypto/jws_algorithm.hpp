// The JWS algorithms archon-auth signs and verifies with, their exact JOSE names, and the shape
// of a key id. Thread-safe (pure functions).
#pragma once
#include <optional>
#include <string_view>

namespace archon::crypto {

// Deliberately closed: there is no "none" and no HMAC member, so a token cannot talk a verifier
// into either (RFC 8725 §2.1, §3.1). Each key is bound to exactly one of these.
enum class JwsAlgorithm {
  kRS256,  // RSASSA-PKCS1-v1_5 with SHA-256, modulus of 2048 bits or more (RFC 7518 §3.3)
  kES256,  // ECDSA P-256 with SHA-256, signature r||s of exactly 64 bytes (RFC 7518 §3.4)
  kEdDSA,  // Ed25519 (RFC 8037 §3.1); the only EdDSA curve accepted
};

// "RS256", "ES256" or "EdDSA".
std::string_view jose_name(JwsAlgorithm alg) noexcept;

// The algorithm whose JOSE name is exactly `name` (case-sensitive, no trimming); anything else,
// such as "none", "None", "HS256", "RS384" or "Ed25519", is not an algorithm we accept.
std::optional<JwsAlgorithm> jws_algorithm_from_name(std::string_view name) noexcept;

constexpr std::size_t kMaxKidLength = 128;

// A key id we issue and accept: 1 to 128 characters of [A-Za-z0-9._-]. Narrow on purpose, so a
// kid can be logged, used as a map key or shown in JWKS without escaping, and so values such as
// "../../dev/null" or "' OR '1'='1" never get past the parser.
bool is_valid_kid(std::string_view kid) noexcept;

}  // namespace archon::crypto
