#include "crypto/verification_key.hpp"

#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>

#include "crypto/base64url.hpp"

namespace archon::crypto {
namespace {

using namespace std::string_literals;
namespace bj = boost::json;

// The public key of RFC 7515 Appendix A.3 (ES256), a known point on P-256.
constexpr const char* kA3X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr const char* kA3Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

bj::object ec_jwk(std::string_view x, std::string_view y) {
  return bj::object{{"kty", "EC"}, {"crv", "P-256"}, {"x", x}, {"y", y}};
}

KeyError refusal(const bj::object& jwk, JwsAlgorithm alg, std::string_view kid = "k") {
  auto key = VerificationKey::from_jwk(jwk, alg, kid);
  EXPECT_FALSE(key);
  return key ? KeyError::kMalformedJwk : key.error();
}

// Flips one bit of a base64url value's decoded bytes and re-encodes it.
std::string with_flipped_bit(std::string_view b64, std::size_t byte, unsigned char mask) {
  std::string bytes = *base64url_decode(b64);
  bytes[byte] = static_cast<char>(static_cast<unsigned char>(bytes[byte]) ^ mask);
  return base64url_encode(bytes);
}

TEST(VerificationKeyJwk, AcceptsTheRfc7515A3Key) {
  auto key = VerificationKey::from_jwk(ec_jwk(kA3X, kA3Y), JwsAlgorithm::kES256, "a3");
  ASSERT_TRUE(key) << describe(key.error());
  EXPECT_EQ(key->algorithm(), JwsAlgorithm::kES256);
  EXPECT_EQ(key->kid(), "a3");
  const auto jwk = key->public_jwk();
  EXPECT_EQ(jwk.at("x"), kA3X);
  EXPECT_EQ(jwk.at("y"), kA3Y);
}

TEST(VerificationKeyJwk, SelfDescribingFormRequiresAlgAndKid) {
  auto jwk = ec_jwk(kA3X, kA3Y);
  EXPECT_EQ(VerificationKey::from_jwk(jwk).error(), KeyError::kMalformedJwk);
  jwk["alg"] = "ES256";
  EXPECT_EQ(VerificationKey::from_jwk(jwk).error(), KeyError::kMalformedJwk);
  jwk["kid"] = "a3";
  EXPECT_TRUE(VerificationKey::from_jwk(jwk));
  jwk["kid"] = 3;
  EXPECT_EQ(VerificationKey::from_jwk(jwk).error(), KeyError::kMalformedJwk);
  jwk["kid"] = "../etc/passwd";
  EXPECT_EQ(VerificationKey::from_jwk(jwk).error(), KeyError::kInvalidKid);
  jwk["kid"] = "a3";
  for (const char* alg : {"none", "HS256", "ES384", "es256", "RS256 "}) {
    jwk["alg"] = alg;
    EXPECT_EQ(VerificationKey::from_jwk(jwk).error(), KeyError::kUnsupportedAlgorithm) << alg;
  }
  jwk["alg"] = "RS256";  // an accepted algorithm, but not this key's type
  EXPECT_EQ(VerificationKey::from_jwk(jwk).error(), KeyError::kAlgorithmMismatch);
}

TEST(VerificationKeyJwk, AlgAndKidInTheJwkMustMatchTheCallers) {
  auto jwk = ec_jwk(kA3X, kA3Y);
  jwk["alg"] = "ES256";
  jwk["kid"] = "a3";
  EXPECT_TRUE(VerificationKey::from_jwk(jwk, JwsAlgorithm::kES256, "a3"));
  EXPECT_EQ(refusal(jwk, JwsAlgorithm::kES256, "other"), KeyError::kKidMismatch);
  EXPECT_EQ(refusal(jwk, JwsAlgorithm::kES256, ""), KeyError::kInvalidKid);
  jwk["alg"] = "EdDSA";
  EXPECT_EQ(refusal(jwk, JwsAlgorithm::kES256, "a3"), KeyError::kAlgorithmMismatch);
}

TEST(VerificationKeyJwk, KeyTypeAndCurveMustMatchTheAlgorithm) {
  const auto ec = ec_jwk(kA3X, kA3Y);
  EXPECT_EQ(refusal(ec, JwsAlgorithm::kRS256), KeyError::kAlgorithmMismatch);
  EXPECT_EQ(refusal(ec, JwsAlgorithm::kEdDSA), KeyError::kAlgorithmMismatch);
  auto p384 = ec;
  p384["crv"] = "P-384";
  EXPECT_EQ(refusal(p384, JwsAlgorithm::kES256), KeyError::kAlgorithmMismatch);
  auto secp256k1 = ec;
  secp256k1["crv"] = "secp256k1";
  EXPECT_EQ(refusal(secp256k1, JwsAlgorithm::kES256), KeyError::kAlgorithmMismatch);

  const auto ed = SigningKey::generate(JwsAlgorithm::kEdDSA, "k").public_jwk();
  auto x25519 = ed;
  x25519["crv"] = "X25519";
  EXPECT_EQ(refusal(x25519, JwsAlgorithm::kEdDSA), KeyError::kAlgorithmMismatch);
  auto oct = bj::object{{"kty", "oct"}, {"k", "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ"}};
  EXPECT_EQ(refusal(oct, JwsAlgorithm::kRS256), KeyError::kPrivateMemberInJwk);
  oct.erase("k");
  EXPECT_EQ(refusal(oct, JwsAlgorithm::kRS256), KeyError::kAlgorithmMismatch);
}

TEST(VerificationKeyJwk, RsaModulusAndExponentAreChecked) {
  auto jwk = SigningKey::generate(JwsAlgorithm::kRS256, "k").public_jwk();
  EXPECT_TRUE(VerificationKey::from_jwk(jwk));

  // A 1024-bit modulus from a real key.
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024});
  ASSERT_NE(small, nullptr);
  BIGNUM* n = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(small, "n", &n), 1);
  std::string n_bytes(static_cast<std::size_t>(BN_num_bytes(n)), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(n_bytes.data()));
  BN_free(n);
  EVP_PKEY_free(small);
  auto weak = jwk;
  weak["n"] = base64url_encode(n_bytes);
  EXPECT_EQ(VerificationKey::from_jwk(weak).error(), KeyError::kWeakKey);

  auto exponent = jwk;
  for (const char* bad_e : {"AQ" /* 1 */, "Ag" /* 2 */, "AQAA" /* 65536 */}) {
    exponent["e"] = bad_e;
    EXPECT_EQ(VerificationKey::from_jwk(exponent).error(), KeyError::kWeakKey) << bad_e;
  }
  // Base64urlUInt is minimal: no leading zero octet (RFC 7518 §2), and never empty.
  exponent["e"] = "AAEAAQ";
  EXPECT_EQ(VerificationKey::from_jwk(exponent).error(), KeyError::kMalformedJwk);
  exponent["e"] = "";
  EXPECT_EQ(VerificationKey::from_jwk(exponent).error(), KeyError::kMalformedJwk);
  auto padded = jwk;
  padded["n"] = base64url_encode("\0"s + *base64url_decode(std::string_view(jwk.at("n").as_string())));
  EXPECT_EQ(VerificationKey::from_jwk(padded).error(), KeyError::kMalformedJwk);

  // Over 8192 bits is refused before any big-number work.
  auto huge = jwk;
  huge["n"] = base64url_encode(std::string(1025, '\x01'));
  EXPECT_EQ(VerificationKey::from_jwk(huge).error(), KeyError::kWeakKey);
}

TEST(VerificationKeyJwk, MembersMustBeCanonicalBase64UrlStrings) {
  auto jwk = ec_jwk(kA3X, kA3Y);
  auto with = [&](const char* name, bj::value value) {
    auto copy = jwk;
    copy[name] = std::move(value);
    return refusal(copy, JwsAlgorithm::kES256);
  };
  EXPECT_EQ(with("x", 12), KeyError::kMalformedJwk);
  EXPECT_EQ(with("x", nullptr), KeyError::kMalformedJwk);
  const std::string padded_x = std::string(kA3X) + "=";
  EXPECT_EQ(with("x", padded_x.c_str()), KeyError::kMalformedJwk);
  EXPECT_EQ(with("y", "x/FEzRu9m36HLN+tue659LNpXW6pCyStikYjKIWI5a0"), KeyError::kMalformedJwk);
  auto missing = jwk;
  missing.erase("y");
  EXPECT_EQ(refusal(missing, JwsAlgorithm::kES256), KeyError::kMalformedJwk);
  EXPECT_EQ(with("kty", bj::array{"EC"}), KeyError::kAlgorithmMismatch);
}

TEST(VerificationKeyJwk, EcPointMustBeOnTheCurve) {
  EXPECT_EQ(refusal(ec_jwk(kA3X, with_flipped_bit(kA3Y, 31, 0x01)), JwsAlgorithm::kES256),
            KeyError::kInvalidPublicKey);
  EXPECT_EQ(refusal(ec_jwk(with_flipped_bit(kA3X, 0, 0x80), kA3Y), JwsAlgorithm::kES256),
            KeyError::kInvalidPublicKey);
  const std::string zero = base64url_encode(std::string(32, '\0'));
  EXPECT_EQ(refusal(ec_jwk(zero, zero), JwsAlgorithm::kES256), KeyError::kInvalidPublicKey);
  // Coordinates must be exactly 32 bytes: neither shortened nor zero-extended.
  const std::string x_bytes = *base64url_decode(kA3X);
  EXPECT_EQ(refusal(ec_jwk(base64url_encode(x_bytes.substr(1)), kA3Y), JwsAlgorithm::kES256),
            KeyError::kInvalidPublicKey);
  EXPECT_EQ(refusal(ec_jwk(base64url_encode("\0"s + x_bytes), kA3Y), JwsAlgorithm::kES256),
            KeyError::kInvalidPublicKey);
}

TEST(VerificationKeyJwk, Ed25519KeyIs32Bytes) {
  auto jwk = SigningKey::generate(JwsAlgorithm::kEdDSA, "k").public_jwk();
  const std::string x = *base64url_decode(std::string_view(jwk.at("x").as_string()));
  jwk["x"] = base64url_encode(x.substr(0, 31));
  EXPECT_EQ(VerificationKey::from_jwk(jwk).error(), KeyError::kInvalidPublicKey);
  jwk["x"] = base64url_encode(x + "\x01");
  EXPECT_EQ(VerificationKey::from_jwk(jwk).error(), KeyError::kInvalidPublicKey);
}

TEST(VerificationKeyJwk, PrivateMembersAndNonSignatureUseAreRefused) {
  for (const char* private_member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    auto jwk = ec_jwk(kA3X, kA3Y);
    jwk[private_member] = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
    EXPECT_EQ(refusal(jwk, JwsAlgorithm::kES256), KeyError::kPrivateMemberInJwk) << private_member;
  }
  auto jwk = ec_jwk(kA3X, kA3Y);
  jwk["use"] = "enc";
  EXPECT_EQ(refusal(jwk, JwsAlgorithm::kES256), KeyError::kNotForSignatures);
  jwk["use"] = "sig";
  jwk["key_ops"] = bj::array{"sign"};
  EXPECT_EQ(refusal(jwk, JwsAlgorithm::kES256), KeyError::kNotForSignatures);
  jwk["key_ops"] = bj::array{"sign", 1};
  EXPECT_EQ(refusal(jwk, JwsAlgorithm::kES256), KeyError::kMalformedJwk);
  jwk["key_ops"] = bj::array{"sign", "verify"};
  EXPECT_TRUE(VerificationKey::from_jwk(jwk, JwsAlgorithm::kES256, "k"));
  // Certificate and URL members are neither required nor used.
  jwk["x5u"] = "https://attacker.example/key";
  jwk["x5c"] = bj::array{"MIIB"};
  EXPECT_TRUE(VerificationKey::from_jwk(jwk, JwsAlgorithm::kES256, "k"));
}

class SignatureShape : public ::testing::TestWithParam<JwsAlgorithm> {};

TEST_P(SignatureShape, OnlyTheExactLengthVerifies) {
  const auto key = SigningKey::generate(GetParam(), "k");
  const auto public_key = VerificationKey::from_signing_key(key);
  const std::string signature = key.sign("input");
  ASSERT_TRUE(public_key.verify("input", signature));
  EXPECT_FALSE(public_key.verify("input", ""));
  EXPECT_FALSE(public_key.verify("input", signature.substr(0, signature.size() - 1)));
  EXPECT_FALSE(public_key.verify("input", signature + '\0'));
  EXPECT_FALSE(public_key.verify("input", "\0"s + signature));
  EXPECT_FALSE(public_key.verify("input", std::string(signature.size(), '\0')));
  EXPECT_FALSE(public_key.verify("inpu", signature));
  EXPECT_FALSE(public_key.verify("input\0"s, signature));
  for (std::size_t i : {std::size_t{0}, signature.size() / 2, signature.size() - 1}) {
    std::string tampered = signature;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    EXPECT_FALSE(public_key.verify("input", tampered)) << i;
  }
  // Another key of the same algorithm does not verify it.
  const auto other = VerificationKey::from_signing_key(SigningKey::generate(GetParam(), "k"));
  EXPECT_FALSE(other.verify("input", signature));
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, SignatureShape,
                         ::testing::Values(JwsAlgorithm::kRS256, JwsAlgorithm::kES256,
                                           JwsAlgorithm::kEdDSA));

TEST(VerificationKeyEs256, ScalarsOutsideOneToNMinusOneFail) {
  const auto key = SigningKey::generate(JwsAlgorithm::kES256, "k");
  const auto public_key = VerificationKey::from_signing_key(key);
  const std::string signature = key.sign("input");
  const std::string r = signature.substr(0, 32);
  const std::string s = signature.substr(32);
  const std::string zero(32, '\0');
  const std::string order = *base64url_decode("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE");
  ASSERT_EQ(order.size(), 32u);
  EXPECT_FALSE(public_key.verify("input", std::string(64, '\0')));
  EXPECT_FALSE(public_key.verify("input", zero + s));
  EXPECT_FALSE(public_key.verify("input", r + zero));
  EXPECT_FALSE(public_key.verify("input", order + s));
  EXPECT_FALSE(public_key.verify("input", r + order));
  EXPECT_FALSE(public_key.verify("input", std::string(64, '\xff')));
  EXPECT_TRUE(public_key.verify("input", r + s));
}

TEST(VerificationKey, IsCopyableAndSharesTheKey) {
  const auto key = SigningKey::generate(JwsAlgorithm::kEdDSA, "k");
  const auto original = VerificationKey::from_signing_key(key);
  const VerificationKey copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_TRUE(copy.verify("m", key.sign("m")));
  EXPECT_EQ(copy.public_jwk(), original.public_jwk());
}

}  // namespace
}  // namespace archon::crypto
