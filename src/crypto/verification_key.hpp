// A public JWS verification key bound to exactly one algorithm and one kid, built from a strictly
// validated JWK or from a SigningKey. Thread-safe for concurrent const use; copyable (the
// underlying EVP_PKEY is shared by reference count and never modified).
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <openssl/types.h>

#include "core/expected.hpp"
#include "crypto/jws_algorithm.hpp"
#include "crypto/signing_key.hpp"

namespace archon::crypto {

class VerificationKey {
 public:
  // From a JWK that names its own algorithm and key id: "alg" and "kid" are required.
  static Expected<VerificationKey, KeyError> from_jwk(const boost::json::object& jwk);

  // From a JWK whose algorithm and kid the caller already knows (e.g. the RFC examples, which
  // carry neither). If the JWK does carry "alg" or "kid" they must equal these exactly.
  //
  // Rules for both overloads (RFC 7517, RFC 7518 §6, RFC 8037 §2): kty "RSA" for RS256 with
  // minimal-length n of 2048..8192 bits and an odd e of at most 64 bits; kty "EC", crv "P-256"
  // for ES256 with 32-byte x and y naming a point on the curve; kty "OKP", crv "Ed25519" for
  // EdDSA with a 32-byte x. "use", if present, must be "sig"; "key_ops", if present, must list
  // "verify"; private members are refused. Other members (x5c, x5u, ...) are ignored, never used.
  static Expected<VerificationKey, KeyError> from_jwk(const boost::json::object& jwk,
                                                      JwsAlgorithm alg, std::string_view kid);

  // The public half of `key`, with its algorithm and kid. Throws std::runtime_error if OpenSSL
  // fails (out of memory).
  static VerificationKey from_signing_key(const SigningKey& key);

  JwsAlgorithm algorithm() const noexcept { return algorithm_; }
  const std::string& kid() const noexcept { return kid_; }

  // True only if `signature` is this key's algorithm's valid signature of `signing_input`.
  // The signature must have the exact raw JWS length: 64 bytes r||s for ES256 (r and s in
  // [1, n-1]), 64 bytes for EdDSA, the modulus length for RS256. Never throws; any failure,
  // including an OpenSSL error, is "not valid".
  bool verify(std::string_view signing_input, std::string_view signature) const noexcept;

  // The public JWK: kty, use "sig", alg, kid and n/e, crv/x/y or crv/x. What JWKS publishes.
  boost::json::object public_jwk() const;

 private:
  VerificationKey(std::shared_ptr<EVP_PKEY> key, JwsAlgorithm alg, std::string kid)
      : key_(std::move(key)), algorithm_(alg), kid_(std::move(kid)) {}

  std::shared_ptr<EVP_PKEY> key_;  // public half only
  JwsAlgorithm algorithm_;
  std::string kid_;
};

}  // namespace archon::crypto
