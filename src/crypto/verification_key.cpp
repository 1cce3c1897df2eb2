#include "crypto/verification_key.hpp"

#include <array>
#include <cstring>
#include <optional>
#include <stdexcept>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "crypto/base64url.hpp"
#include "crypto/openssl_support.hpp"

namespace archon::crypto {
namespace {

namespace bj = boost::json;

using detail::BignumPtr;
using detail::EcdsaSigPtr;
using detail::ErrorQueueGuard;
using detail::kEs256CoordinateBytes;
using detail::MdCtxPtr;
using detail::PkeyCtxPtr;

struct ParamBuildDeleter {
  void operator()(OSSL_PARAM_BLD* bld) const noexcept { OSSL_PARAM_BLD_free(bld); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* params) const noexcept { OSSL_PARAM_free(params); }
};
struct OpensslBufferDeleter {
  void operator()(unsigned char* buffer) const noexcept { OPENSSL_free(buffer); }
};
using ParamsPtr = std::unique_ptr<OSSL_PARAM, ParamDeleter>;

constexpr std::size_t kRawSignatureBytes = 64;  // ES256 r||s and Ed25519 alike
constexpr std::size_t kEd25519KeyBytes = 32;

// The order n of the P-256 group (SEC 2 §2.4.2), big-endian, for the r, s ∈ [1, n-1] check.
constexpr std::array<unsigned char, kEs256CoordinateBytes> kP256Order = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};

void free_pkey(EVP_PKEY* key) noexcept { EVP_PKEY_free(key); }
std::shared_ptr<EVP_PKEY> share(EVP_PKEY* key) { return std::shared_ptr<EVP_PKEY>(key, free_pkey); }

// A fixed-width big-endian integer in [1, n-1]. Byte-wise comparison of equal-width big-endian
// numbers is numeric comparison. Signatures are public, so this need not be constant-time.
bool is_valid_ecdsa_scalar(const unsigned char* scalar) {
  static constexpr std::array<unsigned char, kEs256CoordinateBytes> kZero{};
  return std::memcmp(scalar, kZero.data(), kEs256CoordinateBytes) != 0 &&
         std::memcmp(scalar, kP256Order.data(), kEs256CoordinateBytes) < 0;
}

const char* openssl_key_type(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kRS256:
      return "RSA";
    case JwsAlgorithm::kES256:
      return "EC";
    case JwsAlgorithm::kEdDSA:
      return "ED25519";
  }
  return "";
}

const bj::value* member(const bj::object& jwk, std::string_view name) {
  const auto it = jwk.find(name);
  return it == jwk.end() ? nullptr : &it->value();
}

bool string_member_equals(const bj::object& jwk, std::string_view name, std::string_view want) {
  const bj::value* value = member(jwk, name);
  return value != nullptr && value->is_string() && std::string_view(value->get_string()) == want;
}

// A required base64url member (RFC 7518 §6): a JSON string holding canonical base64url.
Expected<std::string, KeyError> required_bytes(const bj::object& jwk, std::string_view name) {
  const bj::value* value = member(jwk, name);
  if (value == nullptr || !value->is_string()) return Unexpected{KeyError::kMalformedJwk};
  auto decoded = base64url_decode(std::string_view(value->get_string()));
  if (!decoded) return Unexpected{KeyError::kMalformedJwk};
  return std::move(decoded).value();
}

Expected<std::shared_ptr<EVP_PKEY>, KeyError> public_key_from_params(const char* type,
                                                                      OSSL_PARAM_BLD* builder,
                                                                      KeyError on_failure) {
  ParamsPtr params(OSSL_PARAM_BLD_to_param(builder));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return Unexpected{on_failure};
  return share(key);
}

Expected<std::shared_ptr<EVP_PKEY>, KeyError> rsa_key_from_jwk(const bj::object& jwk) {
  if (!string_member_equals(jwk, "kty", "RSA")) return Unexpected{KeyError::kAlgorithmMismatch};
  auto modulus = required_bytes(jwk, "n");
  if (!modulus) return Unexpected{modulus.error()};
  auto exponent = required_bytes(jwk, "e");
  if (!exponent) return Unexpected{exponent.error()};
  // Base64urlUInt uses the minimum number of octets (RFC 7518 §2): no leading zero byte.
  if (modulus->empty() || exponent->empty() || (*modulus)[0] == '\0' || (*exponent)[0] == '\0')
    return Unexpected{KeyError::kMalformedJwk};
  if (modulus->size() * 8 > static_cast<std::size_t>(kMaxRsaModulusBits))
    return Unexpected{KeyError::kWeakKey};

  auto to_bignum = [](const std::string& bytes) {
    return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                               static_cast<int>(bytes.size()), nullptr));
  };
  BignumPtr n = to_bignum(*modulus);
  BignumPtr e = to_bignum(*exponent);
  std::unique_ptr<OSSL_PARAM_BLD, ParamBuildDeleter> builder(OSSL_PARAM_BLD_new());
  if (!n || !e || !builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1)
    return Unexpected{KeyError::kInvalidPublicKey};
  return public_key_from_params("RSA", builder.get(), KeyError::kInvalidPublicKey);
}

Expected<std::shared_ptr<EVP_PKEY>, KeyError> ec_key_from_jwk(const bj::object& jwk) {
  if (!string_member_equals(jwk, "kty", "EC") || !string_member_equals(jwk, "crv", "P-256"))
    return Unexpected{KeyError::kAlgorithmMismatch};
  auto x = required_bytes(jwk, "x");
  if (!x) return Unexpected{x.error()};
  auto y = required_bytes(jwk, "y");
  if (!y) return Unexpected{y.error()};
  // Full coordinate width, no more and no less (RFC 7518 §6.2.1.2, §6.2.1.3).
  if (x->size() != kEs256CoordinateBytes || y->size() != kEs256CoordinateBytes)
    return Unexpected{KeyError::kInvalidPublicKey};

  std::string uncompressed_point = "\x04" + *x + *y;  // SEC 1 §2.3.3
  std::unique_ptr<OSSL_PARAM_BLD, ParamBuildDeleter> builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1",
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       uncompressed_point.data(), uncompressed_point.size()) != 1)
    return Unexpected{KeyError::kInvalidPublicKey};
  auto key = public_key_from_params("EC", builder.get(), KeyError::kInvalidPublicKey);
  if (!key) return key;
  // On the curve, not the point at infinity, and of order n (guards invalid-curve attacks).
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1)
    return Unexpected{KeyError::kInvalidPublicKey};
  return key;
}

Expected<std::shared_ptr<EVP_PKEY>, KeyError> ed25519_key_from_jwk(const bj::object& jwk) {
  if (!string_member_equals(jwk, "kty", "OKP") || !string_member_equals(jwk, "crv", "Ed25519"))
    return Unexpected{KeyError::kAlgorithmMismatch};
  auto x = required_bytes(jwk, "x");
  if (!x) return Unexpected{x.error()};
  if (x->size() != kEd25519KeyBytes) return Unexpected{KeyError::kInvalidPublicKey};
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key_ex(
      nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size());
  if (key == nullptr) return Unexpected{KeyError::kInvalidPublicKey};
  return share(key);
}

// Usage members are optional; when present they must allow signature verification.
std::optional<KeyError> check_usage(const bj::object& jwk) {
  if (const bj::value* use = member(jwk, "use")) {
    if (!use->is_string()) return KeyError::kMalformedJwk;
    if (use->get_string() != "sig") return KeyError::kNotForSignatures;
  }
  if (const bj::value* key_ops = member(jwk, "key_ops")) {
    if (!key_ops->is_array()) return KeyError::kMalformedJwk;
    bool verify_listed = false;
    for (const bj::value& op : key_ops->get_array()) {
      if (!op.is_string()) return KeyError::kMalformedJwk;
      verify_listed = verify_listed || op.get_string() == "verify";
    }
    if (!verify_listed) return KeyError::kNotForSignatures;
  }
  return std::nullopt;
}

std::string bignum_bytes(const EVP_PKEY* key, const char* param, int fixed_width) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) throw std::runtime_error("OpenSSL: key param");
  BignumPtr value(raw);
  const int width = fixed_width > 0 ? fixed_width : BN_num_bytes(value.get());
  std::string bytes(static_cast<std::size_t>(width), '\0');
  if (BN_bn2binpad(value.get(), reinterpret_cast<unsigned char*>(bytes.data()), width) != width)
    throw std::runtime_error("OpenSSL: key param width");
  return bytes;
}

}  // namespace

Expected<VerificationKey, KeyError> VerificationKey::from_jwk(const bj::object& jwk) {
  const bj::value* alg_member = member(jwk, "alg");
  const bj::value* kid_member = member(jwk, "kid");
  if (alg_member == nullptr || !alg_member->is_string() || kid_member == nullptr ||
      !kid_member->is_string())
    return Unexpected{KeyError::kMalformedJwk};
  const auto alg = jws_algorithm_from_name(std::string_view(alg_member->get_string()));
  if (!alg) return Unexpected{KeyError::kUnsupportedAlgorithm};
  return from_jwk(jwk, *alg, std::string_view(kid_member->get_string()));
}

Expected<VerificationKey, KeyError> VerificationKey::from_jwk(const bj::object& jwk,
                                                              JwsAlgorithm alg,
                                                              std::string_view kid) {
  ErrorQueueGuard clear_errors;
  if (!is_valid_kid(kid)) return Unexpected{KeyError::kInvalidKid};
  for (const char* private_member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
    if (jwk.contains(private_member)) return Unexpected{KeyError::kPrivateMemberInJwk};
  if (const bj::value* alg_member = member(jwk, "alg")) {
    if (!alg_member->is_string()) return Unexpected{KeyError::kMalformedJwk};
    if (std::string_view(alg_member->get_string()) != jose_name(alg))
      return Unexpected{KeyError::kAlgorithmMismatch};
  }
  if (const bj::value* kid_member = member(jwk, "kid")) {
    if (!kid_member->is_string()) return Unexpected{KeyError::kMalformedJwk};
    if (std::string_view(kid_member->get_string()) != kid) return Unexpected{KeyError::kKidMismatch};
  }
  if (auto error = check_usage(jwk)) return Unexpected{*error};

  Expected<std::shared_ptr<EVP_PKEY>, KeyError> key = Unexpected{KeyError::kAlgorithmMismatch};
  switch (alg) {
    case JwsAlgorithm::kRS256:
      key = rsa_key_from_jwk(jwk);
      break;
    case JwsAlgorithm::kES256:
      key = ec_key_from_jwk(jwk);
      break;
    case JwsAlgorithm::kEdDSA:
      key = ed25519_key_from_jwk(jwk);
      break;
  }
  if (!key) return Unexpected{key.error()};
  if (auto error = detail::check_key_fits_algorithm(key->get(), alg)) return Unexpected{*error};
  return VerificationKey(std::move(key).value(), alg, std::string(kid));
}

VerificationKey VerificationKey::from_signing_key(const SigningKey& signing_key) {
  ErrorQueueGuard clear_errors;
  // Export the public half only and rebuild a key from it, so that no private material is
  // reachable from a VerificationKey (JWKS publication goes through here).
  OSSL_PARAM* exported = nullptr;
  if (EVP_PKEY_todata(signing_key.native_handle(), EVP_PKEY_PUBLIC_KEY, &exported) != 1)
    throw std::runtime_error("OpenSSL: public key export");
  ParamsPtr params(exported);
  PkeyCtxPtr ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, openssl_key_type(signing_key.algorithm()), nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    throw std::runtime_error("OpenSSL: public key import");
  return VerificationKey(share(key), signing_key.algorithm(), signing_key.kid());
}

bool VerificationKey::verify(std::string_view signing_input,
                             std::string_view signature) const noexcept {
  ErrorQueueGuard clear_errors;
  const auto* sig_bytes = reinterpret_cast<const unsigned char*>(signature.data());
  const std::size_t expected_size = algorithm_ == JwsAlgorithm::kRS256
                                        ? static_cast<std::size_t>(EVP_PKEY_get_size(key_.get()))
                                        : kRawSignatureBytes;
  if (signature.size() != expected_size) return false;

  // OpenSSL verifies ECDSA in DER; rebuild it from the raw r||s after checking the range.
  std::unique_ptr<unsigned char, OpensslBufferDeleter> der;
  std::size_t der_len = 0;
  if (algorithm_ == JwsAlgorithm::kES256) {
    if (!is_valid_ecdsa_scalar(sig_bytes) ||
        !is_valid_ecdsa_scalar(sig_bytes + kEs256CoordinateBytes))
      return false;
    EcdsaSigPtr ecdsa(ECDSA_SIG_new());
    BignumPtr r(BN_bin2bn(sig_bytes, kEs256CoordinateBytes, nullptr));
    BignumPtr s(BN_bin2bn(sig_bytes + kEs256CoordinateBytes, kEs256CoordinateBytes, nullptr));
    if (!ecdsa || !r || !s || ECDSA_SIG_set0(ecdsa.get(), r.get(), s.get()) != 1) return false;
    (void)r.release();  // now owned by `ecdsa`
    (void)s.release();
    unsigned char* encoded = nullptr;
    const int encoded_len = i2d_ECDSA_SIG(ecdsa.get(), &encoded);
    if (encoded_len <= 0) return false;
    der.reset(encoded);
    der_len = static_cast<std::size_t>(encoded_len);
    sig_bytes = der.get();
  } else {
    der_len = signature.size();
  }

  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
  const char* digest = algorithm_ == JwsAlgorithm::kEdDSA ? nullptr : "SHA256";
  if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), &pkey_ctx, digest, nullptr, nullptr, key_.get(),
                                      nullptr) != 1)
    return false;
  if (algorithm_ == JwsAlgorithm::kRS256 &&
      EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) != 1)
    return false;
  // Exactly 1 is success; 0 is a bad signature and negative values are errors (a classic
  // mistake is to treat any non-zero result as valid).
  return EVP_DigestVerify(ctx.get(), sig_bytes, der_len,
                          reinterpret_cast<const unsigned char*>(signing_input.data()),
                          signing_input.size()) == 1;
}

bj::object VerificationKey::public_jwk() const {
  ErrorQueueGuard clear_errors;
  bj::object jwk;
  switch (algorithm_) {
    case JwsAlgorithm::kRS256:
      jwk["kty"] = "RSA";
      break;
    case JwsAlgorithm::kES256:
      jwk["kty"] = "EC";
      break;
    case JwsAlgorithm::kEdDSA:
      jwk["kty"] = "OKP";
      break;
  }
  jwk["use"] = "sig";
  jwk["alg"] = jose_name(algorithm_);
  jwk["kid"] = kid_;
  switch (algorithm_) {
    case JwsAlgorithm::kRS256:
      jwk["n"] = base64url_encode(bignum_bytes(key_.get(), OSSL_PKEY_PARAM_RSA_N, 0));
      jwk["e"] = base64url_encode(bignum_bytes(key_.get(), OSSL_PKEY_PARAM_RSA_E, 0));
      break;
    case JwsAlgorithm::kES256:
      jwk["crv"] = "P-256";
      jwk["x"] = base64url_encode(
          bignum_bytes(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X, kEs256CoordinateBytes));
      jwk["y"] = base64url_encode(
          bignum_bytes(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, kEs256CoordinateBytes));
      break;
    case JwsAlgorithm::kEdDSA: {
      std::array<unsigned char, kEd25519KeyBytes> raw{};
      std::size_t raw_len = raw.size();
      if (EVP_PKEY_get_raw_public_key(key_.get(), raw.data(), &raw_len) != 1 ||
          raw_len != raw.size())
        throw std::runtime_error("OpenSSL: Ed25519 public key");
      jwk["crv"] = "Ed25519";
      jwk["x"] = base64url_encode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw_len));
      break;
    }
  }
  return jwk;
}

}  // namespace archon::crypto
