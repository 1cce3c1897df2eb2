// libFuzzer target for the token decoder: arbitrary bytes go through base64url_decode and
// parse_compact and, whenever a token parses, through verify_signature with fixed keys of all
// three algorithms. Built and run by scripts/fuzz.sh (clang, -fsanitize=fuzzer,address,undefined);
// not part of the CMake build.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json/object.hpp>

#include "crypto/base64url.hpp"
#include "crypto/jwt.hpp"

namespace {

using archon::crypto::JwsAlgorithm;
using archon::crypto::VerificationKey;

// Public keys of the RFC test vectors (RFC 7515 A.2 and A.3, RFC 8037 A.2), all under kid "k",
// so short tokens can reach every verification path.
VerificationKey fixed_key(const boost::json::object& jwk, JwsAlgorithm alg) {
  auto key = VerificationKey::from_jwk(jwk, alg, "k");
  if (!key) __builtin_trap();  // the fixed keys are valid; anything else is a bug
  return std::move(key).value();
}

struct FixedKeys {
  VerificationKey rs256 = fixed_key(
      {{"kty", "RSA"},
       {"e", "AQAB"},
       {"n",
        "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt"
        "0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSX"
        "ndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5"
        "IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"}},
      JwsAlgorithm::kRS256);
  VerificationKey es256 = fixed_key({{"kty", "EC"},
                                     {"crv", "P-256"},
                                     {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                                     {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}},
                                    JwsAlgorithm::kES256);
  VerificationKey eddsa = fixed_key({{"kty", "OKP"},
                                     {"crv", "Ed25519"},
                                     {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
                                    JwsAlgorithm::kEdDSA);
};

const FixedKeys& fixed_keys() {
  static const FixedKeys keys;
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Strict base64url has exactly one spelling per byte string.
  if (auto decoded = archon::crypto::base64url_decode(input))
    if (archon::crypto::base64url_encode(*decoded) != input) __builtin_trap();

  auto parsed = archon::crypto::parse_compact(input);
  if (!parsed) {
    (void)archon::crypto::describe(parsed.error());
    return 0;
  }
  // What parsed must be what the checks promised.
  if (input.size() > archon::crypto::kDefaultMaxTokenSize) __builtin_trap();
  if (input.substr(0, parsed->signing_input.size()) != parsed->signing_input) __builtin_trap();
  if (!archon::crypto::is_valid_kid(parsed->kid)) __builtin_trap();

  const FixedKeys& keys = fixed_keys();
  for (const VerificationKey* key : {&keys.rs256, &keys.es256, &keys.eddsa}) {
    const bool valid = archon::crypto::verify_signature(*parsed, *key);
    if (valid && parsed->algorithm != key->algorithm()) __builtin_trap();
    // Also the raw verifier, so signature-length and ES256 DER paths run whatever the kid.
    (void)key->verify(parsed->signing_input, parsed->signature);
  }
  return 0;
}
