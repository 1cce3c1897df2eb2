// A private JWS signing key (RAII over an OpenSSL EVP_PKEY) bound to one algorithm and one kid:
// generation, PKCS#8 PEM load/save, raw JWS signatures and the public JWK.
// Thread-safe for concurrent const use (sign, public_jwk, to_pkcs8_pem); not copyable.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <openssl/types.h>

#include "core/expected.hpp"
#include "crypto/jws_algorithm.hpp"

namespace archon::crypto {

// Why a key (PEM or JWK) was refused. The messages never contain key material.
enum class KeyError {
  kMalformedPem,            // not one unencrypted PKCS#8 "PRIVATE KEY" PEM block
  kMalformedJwk,            // a member missing, of the wrong JSON type, or not canonical base64url
  kUnsupportedAlgorithm,    // JWK "alg" is not RS256, ES256 or EdDSA
  kAlgorithmMismatch,       // the key type/curve or JWK "alg" does not fit the expected algorithm
  kKidMismatch,             // the JWK "kid" differs from the one the caller expects
  kInvalidKid,              // kid empty, longer than 128, or outside [A-Za-z0-9._-]
  kWeakKey,                 // RSA modulus outside 2048..8192 bits, or a bad public exponent
  kInvalidPublicKey,        // EC point not on P-256, wrong coordinate length, bad Ed25519 key
  kInconsistentPrivateKey,  // the private and public halves do not match
  kPrivateMemberInJwk,      // a public JWK carries d, p, q, dp, dq, qi, oth or k
  kNotForSignatures,        // JWK "use" is not "sig", or "key_ops" lacks "verify"
};

// A short English description; never echoes key material.
const char* describe(KeyError e) noexcept;

constexpr int kMinRsaModulusBits = 2048;
// Upper bound on accepted RSA keys: verification cost grows with the modulus, and no key we
// issue or accept needs more.
constexpr int kMaxRsaModulusBits = 8192;

namespace detail {
struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const noexcept;
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

// Checks that `key` is of the type `alg` needs (RSA within the size bounds and with a sane
// exponent; EC on P-256; Ed25519). Shared by signing and verification keys.
std::optional<KeyError> check_key_fits_algorithm(const EVP_PKEY* key, JwsAlgorithm alg);
}  // namespace detail

class SigningKey {
 public:
  // Generates a fresh key from OpenSSL's CSPRNG. `rsa_modulus_bits` is used for RS256 only and
  // must be 2048, 3072 or 4096. Throws std::invalid_argument for a bad kid or size, and
  // std::runtime_error if OpenSSL fails (start-up / rotation path, not the request path).
  static SigningKey generate(JwsAlgorithm alg, std::string kid, int rsa_modulus_bits = 2048);

  // Loads an unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") written by to_pkcs8_pem()
  // (the keyring decrypts it first). The key must fit `alg` and pass OpenSSL's pairwise check.
  static Expected<SigningKey, KeyError> from_pkcs8_pem(std::string_view pem, JwsAlgorithm alg,
                                                       std::string kid);

  SigningKey(SigningKey&&) noexcept = default;
  SigningKey& operator=(SigningKey&&) noexcept = default;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey() = default;

  // Unencrypted PKCS#8 PEM. Secret: the caller encrypts it before it is stored and must not
  // log it. Throws std::runtime_error if OpenSSL fails.
  std::string to_pkcs8_pem() const;

  JwsAlgorithm algorithm() const noexcept { return algorithm_; }
  const std::string& kid() const noexcept { return kid_; }

  // The raw JWS signature of `signing_input` (RFC 7515 §5.1): RS256 the modulus-length
  // PKCS#1 v1.5 signature, ES256 exactly 64 bytes r||s (each left-padded to 32), EdDSA 64 bytes.
  // Throws std::runtime_error if OpenSSL fails (out of memory; never for any input).
  std::string sign(std::string_view signing_input) const;

  // The public JWK: kty, use "sig", alg, kid and n/e, crv/x/y or crv/x. Never a private member.
  boost::json::object public_jwk() const;

  // For VerificationKey::from_signing_key; the pointer stays owned by this object.
  const EVP_PKEY* native_handle() const noexcept { return key_.get(); }

 private:
  SigningKey(detail::EvpPkeyPtr key, JwsAlgorithm alg, std::string kid)
      : key_(std::move(key)), algorithm_(alg), kid_(std::move(kid)) {}

  detail::EvpPkeyPtr key_;
  JwsAlgorithm algorithm_;
  std::string kid_;
};

}  // namespace archon::crypto
