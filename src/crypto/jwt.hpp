// JWT compact serialization (RFC 7515 §7.1, RFC 7519) over the JWS keys in this directory: encode
// signs a header and claims; parse_compact decodes an untrusted token strictly, before any key
// is involved; verify_signature checks it against one key. Claims (iss, aud, exp, typ...) are the
// caller's to check. Thread-safe (no shared state).
//
// Header parameters that point at keys -- jku, x5u, jwk, x5c (and x5t) -- are ignored: this layer
// never fetches, parses or trusts a key named by the token itself (RFC 8725 §3.10). The caller
// picks the key by exact kid match from keys it already holds in memory.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/expected.hpp"
#include "crypto/jws_algorithm.hpp"
#include "crypto/signing_key.hpp"
#include "crypto/verification_key.hpp"

namespace archon::crypto {

// Why parse_compact refused a token. Distinct values for tests and metrics; a client should see
// one generic "invalid token" (never which check failed, never the token).
enum class JwtError {
  kTooLarge,               // longer than the size cap
  kBadCharacter,           // a byte outside [A-Za-z0-9_-] and '.'; includes '=', '+', '/'
  kWrongSegmentCount,      // not exactly three dot-separated segments
  kEmptySegment,           // an empty header, payload or signature (e.g. an alg "none" token)
  kBadBase64,              // a segment is not canonical unpadded base64url
  kBadHeaderJson,          // the header is not strict JSON (duplicate keys, bad UTF-8, depth)
  kHeaderNotObject,        // the header is JSON but not an object
  kBadPayloadJson,         // the payload is not strict JSON
  kPayloadNotObject,       // the payload is JSON but not an object (not a claims set)
  kUnacceptableAlgorithm,  // alg missing, not a string, or not exactly RS256, ES256 or EdDSA
  kBadKid,                 // kid missing, not a string, or not 1..128 of [A-Za-z0-9._-]
  kUnsupportedCritical,    // a "crit" header: we implement no extensions (RFC 7515 §4.1.11)
};

// A short English description for logs and error details; never echoes the token.
const char* describe(JwtError e) noexcept;

constexpr std::size_t kDefaultMaxTokenSize = 8192;

// A structurally valid token whose signature has NOT been checked yet.
struct ParsedJwt {
  boost::json::object header;
  boost::json::object payload;  // the claims set, untrusted until verify_signature
  JwsAlgorithm algorithm;       // from header "alg"
  std::string kid;              // from header "kid"
  std::string signing_input;    // the first two segments and the dot, exactly as received
  std::string signature;        // decoded raw signature bytes
};

// Signs `payload` and returns "<header>.<payload>.<signature>". The header is `header` with
// "alg" and "kid" set from `key` (any caller-supplied values for those two are replaced).
// Throws std::invalid_argument if `header` carries crit, jku, x5u, jwk or x5c, which we never
// emit, and std::runtime_error if signing fails (see SigningKey::sign).
std::string encode(const boost::json::object& header, const boost::json::object& payload,
                   const SigningKey& key);

// Decodes an untrusted compact JWT. Before any decoding: the size cap, the character set
// [A-Za-z0-9_-] plus exactly two dots, and three non-empty segments. Then each segment must be
// canonical base64url, header and payload strict JSON objects (archon::json::parse_strict),
// "alg" exactly one of our algorithms, "kid" a valid key id, and no "crit".
Expected<ParsedJwt, JwtError> parse_compact(std::string_view token,
                                            std::size_t max_size = kDefaultMaxTokenSize);

// True only if the token's alg equals the key's algorithm exactly, its kid equals the key's kid,
// and the signature verifies. The algorithm comes from the key, never from the token alone.
bool verify_signature(const ParsedJwt& token, const VerificationKey& key) noexcept;

}  // namespace archon::crypto
