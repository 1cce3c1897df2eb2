#include "crypto/signing_key.hpp"

#include <array>
#include <stdexcept>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "crypto/openssl_support.hpp"
#include "crypto/verification_key.hpp"

namespace archon::crypto {
namespace {

using detail::kEs256CoordinateBytes;

struct DecoderCtxDeleter {
  void operator()(OSSL_DECODER_CTX* ctx) const noexcept { OSSL_DECODER_CTX_free(ctx); }
};
struct EncoderCtxDeleter {
  void operator()(OSSL_ENCODER_CTX* ctx) const noexcept { OSSL_ENCODER_CTX_free(ctx); }
};

[[noreturn]] void throw_openssl_failure(const char* what) {
  throw std::runtime_error(std::string("OpenSSL failure: ") + what);
}

// OpenSSL produces a DER ECDSA-Sig-Value; JWS wants the fixed-width concatenation r||s
// (RFC 7518 §3.4), each integer left-padded with zeros to 32 bytes.
std::string der_ecdsa_to_raw(const unsigned char* der, std::size_t der_len) {
  const unsigned char* cursor = der;
  detail::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_len)));
  if (!sig) throw_openssl_failure("ES256 signature is not DER");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::array<unsigned char, 2 * kEs256CoordinateBytes> raw{};
  if (BN_bn2binpad(r, raw.data(), kEs256CoordinateBytes) != kEs256CoordinateBytes ||
      BN_bn2binpad(s, raw.data() + kEs256CoordinateBytes, kEs256CoordinateBytes) !=
          kEs256CoordinateBytes)
    throw_openssl_failure("ES256 signature integer too large");
  return std::string(reinterpret_cast<const char*>(raw.data()), raw.size());
}

}  // namespace

const char* describe(KeyError e) noexcept {
  switch (e) {
    case KeyError::kMalformedPem:
      return "not an unencrypted PKCS#8 private key PEM";
    case KeyError::kMalformedJwk:
      return "malformed JWK";
    case KeyError::kUnsupportedAlgorithm:
      return "JWK alg is not an accepted algorithm";
    case KeyError::kAlgorithmMismatch:
      return "key type does not match the algorithm";
    case KeyError::kKidMismatch:
      return "JWK kid does not match";
    case KeyError::kInvalidKid:
      return "invalid kid";
    case KeyError::kWeakKey:
      return "RSA key size or exponent not accepted";
    case KeyError::kInvalidPublicKey:
      return "invalid public key";
    case KeyError::kInconsistentPrivateKey:
      return "private key is inconsistent";
    case KeyError::kPrivateMemberInJwk:
      return "public JWK contains private key members";
    case KeyError::kNotForSignatures:
      return "JWK is not meant for signature verification";
  }
  return "invalid key";
}

namespace detail {

void EvpPkeyDeleter::operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }

std::optional<KeyError> check_key_fits_algorithm(const EVP_PKEY* key, JwsAlgorithm alg) {
  ErrorQueueGuard clear_errors;
  switch (alg) {
    case JwsAlgorithm::kRS256: {
      // EVP_PKEY_is_a(key, "RSA") is false for RSA-PSS keys, which RS256 must not use.
      if (!EVP_PKEY_is_a(key, "RSA")) return KeyError::kAlgorithmMismatch;
      const int bits = EVP_PKEY_get_bits(key);
      if (bits < kMinRsaModulusBits || bits > kMaxRsaModulusBits) return KeyError::kWeakKey;
      BIGNUM* exponent_raw = nullptr;
      if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &exponent_raw) != 1)
        return KeyError::kWeakKey;
      BignumPtr exponent(exponent_raw);
      // An even or unit exponent is no RSA key; past 64 bits OpenSSL refuses large moduli anyway.
      if (!BN_is_odd(exponent.get()) || BN_is_one(exponent.get()) ||
          BN_num_bits(exponent.get()) > 64)
        return KeyError::kWeakKey;
      return std::nullopt;
    }
    case JwsAlgorithm::kES256: {
      if (!EVP_PKEY_is_a(key, "EC")) return KeyError::kAlgorithmMismatch;
      std::array<char, 64> group{};
      std::size_t group_len = 0;
      if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &group_len) != 1 ||
          std::string_view(group.data(), group_len) != "prime256v1")
        return KeyError::kAlgorithmMismatch;
      return std::nullopt;
    }
    case JwsAlgorithm::kEdDSA:
      if (!EVP_PKEY_is_a(key, "ED25519")) return KeyError::kAlgorithmMismatch;
      return std::nullopt;
  }
  return KeyError::kAlgorithmMismatch;
}

}  // namespace detail

SigningKey SigningKey::generate(JwsAlgorithm alg, std::string kid, int rsa_modulus_bits) {
  if (!is_valid_kid(kid)) throw std::invalid_argument("SigningKey::generate: invalid kid");
  detail::ErrorQueueGuard clear_errors;
  EVP_PKEY* generated = nullptr;
  switch (alg) {
    case JwsAlgorithm::kRS256:
      if (rsa_modulus_bits != 2048 && rsa_modulus_bits != 3072 && rsa_modulus_bits != 4096)
        throw std::invalid_argument("SigningKey::generate: RSA size must be 2048, 3072 or 4096");
      generated = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA",
                                    static_cast<std::size_t>(rsa_modulus_bits));
      break;
    case JwsAlgorithm::kES256:
      generated = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case JwsAlgorithm::kEdDSA:
      generated = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (generated == nullptr) throw_openssl_failure("key generation");
  return SigningKey(detail::EvpPkeyPtr(generated), alg, std::move(kid));
}

Expected<SigningKey, KeyError> SigningKey::from_pkcs8_pem(std::string_view pem, JwsAlgorithm alg,
                                                          std::string kid) {
  if (!is_valid_kid(kid)) return Unexpected{KeyError::kInvalidKid};
  // Only the PKCS#8 PrivateKeyInfo structure: no traditional "RSA PRIVATE KEY"/"EC PRIVATE KEY"
  // blocks, and no encrypted PKCS#8 (no passphrase callback is set, so OpenSSL never prompts).
  if (pem.find("-----BEGIN PRIVATE KEY-----") == std::string_view::npos)
    return Unexpected{KeyError::kMalformedPem};
  detail::ErrorQueueGuard clear_errors;
  EVP_PKEY* decoded = nullptr;
  std::unique_ptr<OSSL_DECODER_CTX, DecoderCtxDeleter> decoder(OSSL_DECODER_CTX_new_for_pkey(
      &decoded, "PEM", "PrivateKeyInfo", nullptr, EVP_PKEY_KEYPAIR, nullptr, nullptr));
  if (!decoder) return Unexpected{KeyError::kMalformedPem};
  const auto* data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t remaining = pem.size();
  const bool ok = OSSL_DECODER_from_data(decoder.get(), &data, &remaining) == 1;
  detail::EvpPkeyPtr key(decoded);
  if (!ok || !key) return Unexpected{KeyError::kMalformedPem};

  if (auto error = detail::check_key_fits_algorithm(key.get(), alg)) return Unexpected{*error};
  detail::PkeyCtxPtr check_ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check_ctx || EVP_PKEY_pairwise_check(check_ctx.get()) != 1)
    return Unexpected{KeyError::kInconsistentPrivateKey};
  return SigningKey(std::move(key), alg, std::move(kid));
}

std::string SigningKey::to_pkcs8_pem() const {
  detail::ErrorQueueGuard clear_errors;
  std::unique_ptr<OSSL_ENCODER_CTX, EncoderCtxDeleter> encoder(OSSL_ENCODER_CTX_new_for_pkey(
      key_.get(), EVP_PKEY_KEYPAIR, "PEM", "PrivateKeyInfo", nullptr));
  unsigned char* data = nullptr;
  std::size_t length = 0;
  if (!encoder || OSSL_ENCODER_to_data(encoder.get(), &data, &length) != 1)
    throw_openssl_failure("PKCS#8 encoding");
  std::string pem(reinterpret_cast<const char*>(data), length);
  OPENSSL_clear_free(data, length);  // the private key must not linger in freed heap memory
  return pem;
}

std::string SigningKey::sign(std::string_view signing_input) const {
  detail::ErrorQueueGuard clear_errors;
  detail::MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
  // Ed25519 hashes internally (PureEdDSA), so it takes no digest.
  const char* digest = algorithm_ == JwsAlgorithm::kEdDSA ? nullptr : "SHA256";
  if (!ctx || EVP_DigestSignInit_ex(ctx.get(), &pkey_ctx, digest, nullptr, nullptr, key_.get(),
                                    nullptr) != 1)
    throw_openssl_failure("sign init");
  if (algorithm_ == JwsAlgorithm::kRS256 &&
      EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) != 1)
    throw_openssl_failure("RSA padding");

  std::string signature(static_cast<std::size_t>(EVP_PKEY_get_size(key_.get())), '\0');
  std::size_t signature_len = signature.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()),
                     &signature_len, reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1)
    throw_openssl_failure("sign");
  signature.resize(signature_len);
  if (algorithm_ == JwsAlgorithm::kES256)
    return der_ecdsa_to_raw(reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size());
  return signature;
}

boost::json::object SigningKey::public_jwk() const {
  // One JWK exporter for both key kinds: it only ever sees the public half.
  return VerificationKey::from_signing_key(*this).public_jwk();
}

}  // namespace archon::crypto
