#include "crypto/signing_key.hpp"

#include <memory>
#include <set>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/base64url.hpp"
#include "crypto/verification_key.hpp"

namespace archon::crypto {
namespace {

constexpr JwsAlgorithm kAllAlgorithms[] = {JwsAlgorithm::kRS256, JwsAlgorithm::kES256,
                                           JwsAlgorithm::kEdDSA};

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using TestPkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// PEM of `key` in the given OpenSSL encoder structure ("PrivateKeyInfo", "type-specific", ...).
std::string encode_pem(const EVP_PKEY* key, const char* structure) {
  OSSL_ENCODER_CTX* ctx =
      OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, "PEM", structure, nullptr);
  unsigned char* data = nullptr;
  std::size_t length = 0;
  const bool ok = ctx != nullptr && OSSL_ENCODER_to_data(ctx, &data, &length) == 1;
  OSSL_ENCODER_CTX_free(ctx);
  if (!ok) throw std::runtime_error("test: PEM encoding failed");
  std::string pem(reinterpret_cast<const char*>(data), length);
  OPENSSL_free(data);
  return pem;
}

std::set<std::string> member_names(const boost::json::object& object) {
  std::set<std::string> names;
  for (const auto& entry : object) names.emplace(entry.key());
  return names;
}

TEST(JwsAlgorithmNames, AreExactAndCaseSensitive) {
  for (auto alg : kAllAlgorithms) EXPECT_EQ(jws_algorithm_from_name(jose_name(alg)), alg);
  EXPECT_EQ(jose_name(JwsAlgorithm::kRS256), "RS256");
  EXPECT_EQ(jose_name(JwsAlgorithm::kES256), "ES256");
  EXPECT_EQ(jose_name(JwsAlgorithm::kEdDSA), "EdDSA");
  for (const char* name : {"none", "None", "nOnE", "NONE", "", "HS256", "HS384", "HS512", "RS384",
                           "RS512", "PS256", "ES384", "ES512", "ES256K", "Ed25519", "EDDSA",
                           "eddsa", "rs256", "RS256 ", " RS256", "RS256\n"})
    EXPECT_FALSE(jws_algorithm_from_name(name)) << name;
  EXPECT_FALSE(jws_algorithm_from_name(std::string_view("RS256\0", 6)));
}

TEST(KeyIds, AcceptOnlyTheNarrowAlphabet) {
  EXPECT_TRUE(is_valid_kid("key_id_2025"));
  EXPECT_TRUE(is_valid_kid("2010-12-29"));
  EXPECT_TRUE(is_valid_kid("a.b-c_D9"));
  EXPECT_TRUE(is_valid_kid(std::string(128, 'k')));
  EXPECT_FALSE(is_valid_kid(""));
  EXPECT_FALSE(is_valid_kid(std::string(129, 'k')));
  for (const char* kid : {"../../dev/null", "' OR '1'='1", "a b", "a/b", "a\\b", "kid\n",
                          "k\xc3\xa9", "k%2e", "k:1", "k=1"})
    EXPECT_FALSE(is_valid_kid(kid)) << kid;
}

TEST(SigningKey, GeneratesEachAlgorithmAndSignaturesVerify) {
  for (auto alg : kAllAlgorithms) {
    const auto key = SigningKey::generate(alg, "kid-1");
    EXPECT_EQ(key.algorithm(), alg);
    EXPECT_EQ(key.kid(), "kid-1");
    const std::string signature = key.sign("header.payload");
    EXPECT_EQ(signature.size(), alg == JwsAlgorithm::kRS256 ? 256u : 64u);
    const auto public_key = VerificationKey::from_signing_key(key);
    EXPECT_EQ(public_key.algorithm(), alg);
    EXPECT_EQ(public_key.kid(), "kid-1");
    EXPECT_TRUE(public_key.verify("header.payload", signature));
    EXPECT_FALSE(public_key.verify("header.payloaD", signature));
  }
}

TEST(SigningKey, RsaSizesAre2048To4096) {
  const auto key = SigningKey::generate(JwsAlgorithm::kRS256, "rsa-3072", 3072);
  EXPECT_EQ(key.sign("x").size(), 384u);
  EXPECT_THROW(SigningKey::generate(JwsAlgorithm::kRS256, "k", 1024), std::invalid_argument);
  EXPECT_THROW(SigningKey::generate(JwsAlgorithm::kRS256, "k", 2047), std::invalid_argument);
  EXPECT_THROW(SigningKey::generate(JwsAlgorithm::kRS256, "k", 16384), std::invalid_argument);
}

TEST(SigningKey, RefusesAnInvalidKid) {
  EXPECT_THROW(SigningKey::generate(JwsAlgorithm::kES256, ""), std::invalid_argument);
  EXPECT_THROW(SigningKey::generate(JwsAlgorithm::kES256, "../x"), std::invalid_argument);
}

TEST(SigningKey, Es256SignaturesAreAlways64BytesLeftPadded) {
  // About 1 signature in 128 has an r or s below 2^248, which DER encodes in fewer than 32
  // bytes; keep signing until both a padded r and a padded s have been seen and verified.
  const auto key = SigningKey::generate(JwsAlgorithm::kES256, "ec");
  const auto public_key = VerificationKey::from_signing_key(key);
  bool padded_r = false;
  bool padded_s = false;
  for (int i = 0; i < 20000 && !(padded_r && padded_s); ++i) {
    const std::string input = "input-" + std::to_string(i);
    const std::string signature = key.sign(input);
    ASSERT_EQ(signature.size(), 64u);
    const bool r_short = signature[0] == '\0';
    const bool s_short = signature[32] == '\0';
    if (r_short || s_short) {
      ASSERT_TRUE(public_key.verify(input, signature)) << i;
    }
    padded_r = padded_r || r_short;
    padded_s = padded_s || s_short;
  }
  EXPECT_TRUE(padded_r);
  EXPECT_TRUE(padded_s);
}

TEST(SigningKey, Pkcs8PemRoundTrips) {
  for (auto alg : kAllAlgorithms) {
    const auto key = SigningKey::generate(alg, "original");
    const std::string pem = key.to_pkcs8_pem();
    EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
    auto loaded = SigningKey::from_pkcs8_pem(pem, alg, "reloaded");
    ASSERT_TRUE(loaded) << describe(loaded.error());
    EXPECT_EQ(loaded->kid(), "reloaded");
    EXPECT_EQ(loaded->to_pkcs8_pem(), pem);
    auto original_jwk = key.public_jwk();
    auto loaded_jwk = loaded->public_jwk();
    original_jwk.erase("kid");
    loaded_jwk.erase("kid");
    EXPECT_EQ(original_jwk, loaded_jwk);
    // A signature by the reloaded key verifies under the original's public key.
    const auto original_public = VerificationKey::from_signing_key(key);
    EXPECT_TRUE(original_public.verify("abc", loaded->sign("abc")));
  }
}

TEST(SigningKey, PemOfAnotherAlgorithmIsRefused) {
  const std::string rsa_pem = SigningKey::generate(JwsAlgorithm::kRS256, "k").to_pkcs8_pem();
  const std::string ec_pem = SigningKey::generate(JwsAlgorithm::kES256, "k").to_pkcs8_pem();
  const std::string ed_pem = SigningKey::generate(JwsAlgorithm::kEdDSA, "k").to_pkcs8_pem();
  struct Case {
    const std::string& pem;
    JwsAlgorithm alg;
  };
  for (const Case& c : {Case{rsa_pem, JwsAlgorithm::kES256}, Case{rsa_pem, JwsAlgorithm::kEdDSA},
                        Case{ec_pem, JwsAlgorithm::kRS256}, Case{ec_pem, JwsAlgorithm::kEdDSA},
                        Case{ed_pem, JwsAlgorithm::kRS256}, Case{ed_pem, JwsAlgorithm::kES256}}) {
    auto loaded = SigningKey::from_pkcs8_pem(c.pem, c.alg, "k");
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error(), KeyError::kAlgorithmMismatch);
  }
}

TEST(SigningKey, OtherCurvesAndSmallRsaAreRefused) {
  TestPkey p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  ASSERT_TRUE(p384);
  auto loaded = SigningKey::from_pkcs8_pem(encode_pem(p384.get(), "PrivateKeyInfo"),
                                           JwsAlgorithm::kES256, "k");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error(), KeyError::kAlgorithmMismatch);

  TestPkey rsa1024(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024}));
  ASSERT_TRUE(rsa1024);
  loaded = SigningKey::from_pkcs8_pem(encode_pem(rsa1024.get(), "PrivateKeyInfo"),
                                      JwsAlgorithm::kRS256, "k");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error(), KeyError::kWeakKey);

  TestPkey ed448(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448"));
  ASSERT_TRUE(ed448);
  loaded = SigningKey::from_pkcs8_pem(encode_pem(ed448.get(), "PrivateKeyInfo"),
                                      JwsAlgorithm::kEdDSA, "k");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error(), KeyError::kAlgorithmMismatch);
}

TEST(SigningKey, OnlyUnencryptedPkcs8PemIsAccepted) {
  const auto key = SigningKey::generate(JwsAlgorithm::kRS256, "k");
  // Traditional "BEGIN RSA PRIVATE KEY" (PKCS#1).
  const std::string traditional = encode_pem(key.native_handle(), "type-specific");
  ASSERT_NE(traditional.find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  auto loaded = SigningKey::from_pkcs8_pem(traditional, JwsAlgorithm::kRS256, "k");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error(), KeyError::kMalformedPem);

  // Encrypted PKCS#8: refused without ever asking for a passphrase.
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_NE(bio, nullptr);
  static char passphrase[] = "correct horse";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio, key.native_handle(), EVP_aes_256_cbc(), nullptr, 0,
                                          nullptr, passphrase),
            1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  const std::string encrypted(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  ASSERT_NE(encrypted.find("BEGIN ENCRYPTED PRIVATE KEY"), std::string::npos);
  loaded = SigningKey::from_pkcs8_pem(encrypted, JwsAlgorithm::kRS256, "k");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error(), KeyError::kMalformedPem);

  const std::string pem = key.to_pkcs8_pem();
  for (const std::string& bad :
       {std::string(), std::string("garbage"), pem.substr(0, pem.size() / 2),
        std::string("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}) {
    loaded = SigningKey::from_pkcs8_pem(bad, JwsAlgorithm::kRS256, "k");
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error(), KeyError::kMalformedPem);
  }
  loaded = SigningKey::from_pkcs8_pem(pem, JwsAlgorithm::kRS256, "bad kid");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error(), KeyError::kInvalidKid);
}

TEST(SigningKey, PublicJwkHasExactlyThePublicMembers) {
  const auto rsa = SigningKey::generate(JwsAlgorithm::kRS256, "rsa-1").public_jwk();
  EXPECT_EQ(member_names(rsa), (std::set<std::string>{"kty", "use", "alg", "kid", "n", "e"}));
  EXPECT_EQ(rsa.at("kty"), "RSA");
  EXPECT_EQ(rsa.at("alg"), "RS256");
  EXPECT_EQ(rsa.at("use"), "sig");
  EXPECT_EQ(rsa.at("kid"), "rsa-1");
  EXPECT_EQ(rsa.at("e"), "AQAB");
  auto modulus = base64url_decode(std::string_view(rsa.at("n").as_string()));
  ASSERT_TRUE(modulus);
  EXPECT_EQ(modulus->size(), 256u);
  EXPECT_NE((*modulus)[0], '\0');

  const auto ec = SigningKey::generate(JwsAlgorithm::kES256, "ec-1").public_jwk();
  EXPECT_EQ(member_names(ec),
            (std::set<std::string>{"kty", "use", "alg", "kid", "crv", "x", "y"}));
  EXPECT_EQ(ec.at("kty"), "EC");
  EXPECT_EQ(ec.at("crv"), "P-256");
  EXPECT_EQ(ec.at("alg"), "ES256");
  EXPECT_EQ(base64url_decode(std::string_view(ec.at("x").as_string()))->size(), 32u);
  EXPECT_EQ(base64url_decode(std::string_view(ec.at("y").as_string()))->size(), 32u);

  const auto ed = SigningKey::generate(JwsAlgorithm::kEdDSA, "ed-1").public_jwk();
  EXPECT_EQ(member_names(ed), (std::set<std::string>{"kty", "use", "alg", "kid", "crv", "x"}));
  EXPECT_EQ(ed.at("kty"), "OKP");
  EXPECT_EQ(ed.at("crv"), "Ed25519");
  EXPECT_EQ(ed.at("alg"), "EdDSA");
  EXPECT_EQ(base64url_decode(std::string_view(ed.at("x").as_string()))->size(), 32u);
}

TEST(SigningKey, PublicJwkRoundTripsThroughVerificationKey) {
  for (auto alg : kAllAlgorithms) {
    const auto key = SigningKey::generate(alg, "round-trip");
    auto public_key = VerificationKey::from_jwk(key.public_jwk());
    ASSERT_TRUE(public_key) << describe(public_key.error());
    EXPECT_EQ(public_key->algorithm(), alg);
    EXPECT_EQ(public_key->kid(), "round-trip");
    EXPECT_EQ(public_key->public_jwk(), key.public_jwk());
    EXPECT_TRUE(public_key->verify("m", key.sign("m")));
  }
}

TEST(KeyErrors, HaveDescriptions) {
  for (int i = 0; i <= static_cast<int>(KeyError::kNotForSignatures); ++i)
    EXPECT_STRNE(describe(static_cast<KeyError>(i)), "invalid key");
}

}  // namespace
}  // namespace archon::crypto
