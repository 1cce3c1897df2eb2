#include "crypto/jwt.hpp"

#include <array>
#include <stdexcept>

#include <boost/json/serialize.hpp>

#include "core/strict_json.hpp"
#include "crypto/base64url.hpp"

namespace archon::crypto {
namespace {

namespace bj = boost::json;

bool is_compact_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Decodes a base64url segment into a strict-JSON object.
Expected<bj::object, JwtError> decode_json_object(std::string_view segment, JwtError bad_json,
                                                  JwtError not_object) {
  auto bytes = base64url_decode(segment);
  if (!bytes) return Unexpected{JwtError::kBadBase64};
  auto parsed = archon::json::parse_strict(*bytes);
  if (!parsed) return Unexpected{bad_json};
  if (!parsed->is_object()) return Unexpected{not_object};
  return std::move(parsed->as_object());
}

}  // namespace

const char* describe(JwtError e) noexcept {
  switch (e) {
    case JwtError::kTooLarge:
      return "token too large";
    case JwtError::kBadCharacter:
      return "token contains a character outside the compact serialization alphabet";
    case JwtError::kWrongSegmentCount:
      return "token does not have exactly three segments";
    case JwtError::kEmptySegment:
      return "token has an empty segment";
    case JwtError::kBadBase64:
      return "token segment is not canonical base64url";
    case JwtError::kBadHeaderJson:
      return "token header is not valid JSON";
    case JwtError::kHeaderNotObject:
      return "token header is not a JSON object";
    case JwtError::kBadPayloadJson:
      return "token payload is not valid JSON";
    case JwtError::kPayloadNotObject:
      return "token payload is not a JSON object";
    case JwtError::kUnacceptableAlgorithm:
      return "token algorithm is not accepted";
    case JwtError::kBadKid:
      return "token kid is missing or invalid";
    case JwtError::kUnsupportedCritical:
      return "token has critical header parameters";
  }
  return "invalid token";
}

std::string encode(const bj::object& header, const bj::object& payload, const SigningKey& key) {
  for (const char* forbidden : {"crit", "jku", "x5u", "jwk", "x5c"})
    if (header.contains(forbidden))
      throw std::invalid_argument(std::string("jwt::encode: header must not carry ") + forbidden);
  bj::object full_header;
  full_header["alg"] = jose_name(key.algorithm());
  full_header["kid"] = key.kid();
  for (const auto& entry : header)
    if (entry.key() != "alg" && entry.key() != "kid") full_header[entry.key()] = entry.value();

  std::string token = base64url_encode(bj::serialize(full_header));
  token += '.';
  token += base64url_encode(bj::serialize(payload));
  const std::string signature = key.sign(token);
  token += '.';
  token += base64url_encode(signature);
  return token;
}

Expected<ParsedJwt, JwtError> parse_compact(std::string_view token, std::size_t max_size) {
  // Cheap structural checks first, over raw bytes, so that nothing oversized or oddly encoded
  // ever reaches the base64 or JSON decoders (RFC 8725 §3.11: validate before using).
  if (token.size() > max_size) return Unexpected{JwtError::kTooLarge};
  std::array<std::size_t, 2> dots{};
  std::size_t dot_count = 0;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '.') {
      if (dot_count < dots.size()) dots[dot_count] = i;
      ++dot_count;
    } else if (!is_compact_character(token[i])) {
      return Unexpected{JwtError::kBadCharacter};
    }
  }
  if (dot_count != 2) return Unexpected{JwtError::kWrongSegmentCount};
  const std::string_view header_segment = token.substr(0, dots[0]);
  const std::string_view payload_segment = token.substr(dots[0] + 1, dots[1] - dots[0] - 1);
  const std::string_view signature_segment = token.substr(dots[1] + 1);
  // An empty signature is what an unsecured (alg "none") JWS looks like; refuse it outright.
  if (header_segment.empty() || payload_segment.empty() || signature_segment.empty())
    return Unexpected{JwtError::kEmptySegment};

  auto header = decode_json_object(header_segment, JwtError::kBadHeaderJson,
                                   JwtError::kHeaderNotObject);
  if (!header) return Unexpected{header.error()};

  // Header checks come before the payload is even decoded.
  const auto alg_it = header->find("alg");
  if (alg_it == header->end() || !alg_it->value().is_string())
    return Unexpected{JwtError::kUnacceptableAlgorithm};
  const auto algorithm = jws_algorithm_from_name(std::string_view(alg_it->value().get_string()));
  if (!algorithm) return Unexpected{JwtError::kUnacceptableAlgorithm};

  const auto kid_it = header->find("kid");
  if (kid_it == header->end() || !kid_it->value().is_string() ||
      !is_valid_kid(std::string_view(kid_it->value().get_string())))
    return Unexpected{JwtError::kBadKid};
  if (header->contains("crit")) return Unexpected{JwtError::kUnsupportedCritical};

  auto payload = decode_json_object(payload_segment, JwtError::kBadPayloadJson,
                                    JwtError::kPayloadNotObject);
  if (!payload) return Unexpected{payload.error()};
  auto signature = base64url_decode(signature_segment);
  if (!signature) return Unexpected{JwtError::kBadBase64};

  std::string kid(std::string_view(kid_it->value().get_string()));
  return ParsedJwt{std::move(header).value(),
                   std::move(payload).value(),
                   *algorithm,
                   std::move(kid),
                   std::string(token.substr(0, dots[1])),
                   std::move(signature).value()};
}

bool verify_signature(const ParsedJwt& token, const VerificationKey& key) noexcept {
  if (token.algorithm != key.algorithm()) return false;
  if (token.kid != key.kid()) return false;
  return key.verify(token.signing_input, token.signature);
}

}  // namespace archon::crypto
