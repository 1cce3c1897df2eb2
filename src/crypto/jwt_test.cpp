// JWT compact serialization tests, including the published JOSE test vectors (RFC 7515
// Appendix A.2 and A.3, RFC 8037 Appendix A). Every vector below was checked byte for byte
// against the RFC text and independently re-verified (Python big-integer arithmetic for
// A.2/A.3, pyca/cryptography for RFC 8037) before it was written here.
#include "crypto/jwt.hpp"

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/base64url.hpp"

namespace archon::crypto {
namespace {

using namespace std::string_literals;
namespace bj = boost::json;

// ---- RFC 7515 Appendix A.2: RS256 -------------------------------------------------------
constexpr const char* kA2N =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4Q"
    "lL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbB"
    "YUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DW"
    "NmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
constexpr const char* kA2E = "AQAB";
constexpr const char* kA2D =
    "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJ"
    "e46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI"
    "9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9p"
    "IuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";
constexpr const char* kA2P =
    "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdT"
    "JNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc";
constexpr const char* kA2Q =
    "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_Y"
    "wD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc";
constexpr const char* kA2Dp =
    "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6Hs"
    "JeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0";
constexpr const char* kA2Dq =
    "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-"
    "NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU";
constexpr const char* kA2Qi =
    "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi"
    "87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U";
// Header {"alg":"RS256"}; payload {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
constexpr const char* kA2SigningInput =
    "eyJhbGciOiJSUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr const char* kA2Signature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5"
    "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb"
    "1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QO"
    "YEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

// ---- RFC 7515 Appendix A.3: ES256 -------------------------------------------------------
constexpr const char* kA3X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr const char* kA3Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
constexpr const char* kA3D = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
constexpr const char* kA3SigningInput =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr const char* kA3Signature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

// ---- RFC 8037 Appendix A.1 (key), A.2 (public key), A.4 (signature) ---------------------
constexpr const char* kEdD = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr const char* kEdX = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
// Header {"alg":"EdDSA"}; payload "Example of Ed25519 signing" (not JSON: a JWS, not a JWT).
constexpr const char* kEdSigningInput = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr const char* kEdSignature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

// ---- helpers -----------------------------------------------------------------------------
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using TestPkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string bytes(std::string_view b64) {
  auto decoded = base64url_decode(b64);
  if (!decoded) throw std::invalid_argument("test vector is not base64url");
  return *decoded;
}

std::string pkcs8_pem(const EVP_PKEY* key) {
  OSSL_ENCODER_CTX* ctx =
      OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, "PEM", "PrivateKeyInfo", nullptr);
  unsigned char* data = nullptr;
  std::size_t length = 0;
  const bool ok = ctx != nullptr && OSSL_ENCODER_to_data(ctx, &data, &length) == 1;
  OSSL_ENCODER_CTX_free(ctx);
  if (!ok) throw std::runtime_error("test: PKCS#8 encoding failed");
  std::string pem(reinterpret_cast<const char*>(data), length);
  OPENSSL_free(data);
  return pem;
}

// Builds a private key from JWK members through OpenSSL's parameter API, then goes through
// PKCS#8 PEM so that SigningKey::from_pkcs8_pem is what loads it.
std::string private_pem_from_params(const char* type,
                                    const std::vector<std::pair<const char*, std::string>>& bns,
                                    const std::vector<std::pair<const char*, std::string>>& octets,
                                    const char* group = nullptr) {
  OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
  std::vector<BIGNUM*> numbers;
  for (const auto& [name, value] : bns) {
    numbers.push_back(BN_bin2bn(reinterpret_cast<const unsigned char*>(value.data()),
                                static_cast<int>(value.size()), nullptr));
    OSSL_PARAM_BLD_push_BN(builder, name, numbers.back());
  }
  for (const auto& [name, value] : octets)
    OSSL_PARAM_BLD_push_octet_string(builder, name, value.data(), value.size());
  if (group != nullptr)
    OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(builder);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* raw = nullptr;
  const bool ok = params != nullptr && ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, &raw, EVP_PKEY_KEYPAIR, params) == 1;
  TestPkey key(raw);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(builder);
  for (BIGNUM* number : numbers) BN_free(number);
  if (!ok) throw std::runtime_error("test: key import failed");
  return pkcs8_pem(key.get());
}

SigningKey a2_signing_key() {
  const std::string pem = private_pem_from_params(
      "RSA",
      {{OSSL_PKEY_PARAM_RSA_N, bytes(kA2N)},
       {OSSL_PKEY_PARAM_RSA_E, bytes(kA2E)},
       {OSSL_PKEY_PARAM_RSA_D, bytes(kA2D)},
       {OSSL_PKEY_PARAM_RSA_FACTOR1, bytes(kA2P)},
       {OSSL_PKEY_PARAM_RSA_FACTOR2, bytes(kA2Q)},
       {OSSL_PKEY_PARAM_RSA_EXPONENT1, bytes(kA2Dp)},
       {OSSL_PKEY_PARAM_RSA_EXPONENT2, bytes(kA2Dq)},
       {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, bytes(kA2Qi)}},
      {});
  return std::move(SigningKey::from_pkcs8_pem(pem, JwsAlgorithm::kRS256, "2010-12-29")).value();
}

VerificationKey a2_verification_key() {
  const bj::object jwk{{"kty", "RSA"}, {"n", kA2N}, {"e", kA2E}};
  return std::move(VerificationKey::from_jwk(jwk, JwsAlgorithm::kRS256, "2010-12-29")).value();
}

VerificationKey a3_verification_key() {
  const bj::object jwk{{"kty", "EC"}, {"crv", "P-256"}, {"x", kA3X}, {"y", kA3Y}};
  return std::move(VerificationKey::from_jwk(jwk, JwsAlgorithm::kES256, "a3")).value();
}

std::string segment(std::string_view json_text) { return base64url_encode(json_text); }

// A token with the given raw header and payload JSON and an arbitrary raw signature.
std::string forge(std::string_view header_json, std::string_view payload_json,
                  std::string_view signature) {
  return segment(header_json) + "." + segment(payload_json) + "." + base64url_encode(signature);
}

JwtError rejection(std::string_view token, std::size_t max_size = kDefaultMaxTokenSize) {
  auto parsed = parse_compact(token, max_size);
  EXPECT_FALSE(parsed) << "accepted: " << token.substr(0, 200);
  return parsed ? JwtError::kTooLarge : parsed.error();
}

constexpr const char* kClaims = R"({"iss":"archon-auth-service","sub":"user_1","exp":1735689600})";

// ---- published vectors -------------------------------------------------------------------
TEST(JoseRfcVectors, Rfc7515A2SigningWithThePrivateKeyGivesTheExactSignature) {
  const SigningKey key = a2_signing_key();
  // RSASSA-PKCS1-v1_5 is deterministic, so the RFC's signature must come out byte for byte.
  EXPECT_EQ(base64url_encode(key.sign(kA2SigningInput)), kA2Signature);
  // And the public JWK we would publish for it is the RFC's n and e.
  const auto jwk = key.public_jwk();
  EXPECT_EQ(jwk.at("n"), kA2N);
  EXPECT_EQ(jwk.at("e"), kA2E);
}

TEST(JoseRfcVectors, Rfc7515A2TokenVerifiesWithTheRfcJwk) {
  const auto key = a2_verification_key();
  EXPECT_TRUE(key.verify(kA2SigningInput, bytes(kA2Signature)));
  std::string altered_input = kA2SigningInput;
  altered_input.back() = 'R';  // was 'Q'
  EXPECT_FALSE(key.verify(altered_input, bytes(kA2Signature)));
  // The RFC token has no kid, which parse_compact requires of every token we accept.
  EXPECT_EQ(rejection(std::string(kA2SigningInput) + "." + kA2Signature), JwtError::kBadKid);
}

TEST(JoseRfcVectors, Rfc7515A3TokenVerifiesWithTheRfcPublicKey) {
  const auto key = a3_verification_key();
  EXPECT_TRUE(key.verify(kA3SigningInput, bytes(kA3Signature)));
  EXPECT_FALSE(key.verify(kA2SigningInput, bytes(kA3Signature)));
  // Our signature with the A.3 private key (ECDSA is randomized) verifies with the RFC key.
  const std::string pem = private_pem_from_params(
      "EC", {{OSSL_PKEY_PARAM_PRIV_KEY, bytes(kA3D)}},
      {{OSSL_PKEY_PARAM_PUB_KEY, "\x04"s + bytes(kA3X) + bytes(kA3Y)}}, "prime256v1");
  auto signer = SigningKey::from_pkcs8_pem(pem, JwsAlgorithm::kES256, "a3");
  ASSERT_TRUE(signer) << describe(signer.error());
  EXPECT_TRUE(key.verify(kA3SigningInput, signer->sign(kA3SigningInput)));
  EXPECT_EQ(signer->public_jwk().at("x"), kA3X);
  EXPECT_EQ(signer->public_jwk().at("y"), kA3Y);
}

TEST(JoseRfcVectors, Rfc8037A4Ed25519SignatureIsExactAndVerifies) {
  const std::string seed = bytes(kEdD);
  ASSERT_EQ(seed.size(), 32u);
  TestPkey raw(EVP_PKEY_new_raw_private_key_ex(
      nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  ASSERT_TRUE(raw);
  auto key = SigningKey::from_pkcs8_pem(pkcs8_pem(raw.get()), JwsAlgorithm::kEdDSA, "rfc8037");
  ASSERT_TRUE(key) << describe(key.error());
  EXPECT_EQ(key->public_jwk().at("x"), kEdX);  // RFC 8037 A.2: the public key of A.1
  EXPECT_EQ(base64url_encode(key->sign(kEdSigningInput)), kEdSignature);

  const bj::object jwk{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", kEdX}};
  auto public_key = VerificationKey::from_jwk(jwk, JwsAlgorithm::kEdDSA, "rfc8037");
  ASSERT_TRUE(public_key) << describe(public_key.error());
  EXPECT_TRUE(public_key->verify(kEdSigningInput, bytes(kEdSignature)));
  EXPECT_FALSE(public_key->verify(std::string(kEdSigningInput) + "x", bytes(kEdSignature)));
}

// ---- round trips -------------------------------------------------------------------------
class JwtRoundTrip : public ::testing::TestWithParam<JwsAlgorithm> {};

TEST_P(JwtRoundTrip, EncodeParseVerify) {
  const auto key = SigningKey::generate(GetParam(), "key-2025-01");
  const auto public_key = VerificationKey::from_signing_key(key);
  const auto claims = bj::parse(kClaims).as_object();
  // alg and kid always come from the key, whatever the caller wrote.
  const std::string token =
      encode(bj::object{{"typ", "at+jwt"}, {"alg", "none"}, {"kid", "x"}}, claims, key);

  auto parsed = parse_compact(token);
  ASSERT_TRUE(parsed) << describe(parsed.error());
  EXPECT_EQ(parsed->algorithm, GetParam());
  EXPECT_EQ(parsed->kid, "key-2025-01");
  EXPECT_EQ(parsed->header.at("alg").as_string(), jose_name(GetParam()));
  EXPECT_EQ(parsed->header.at("typ"), "at+jwt");
  EXPECT_EQ(parsed->payload, claims);
  EXPECT_EQ(parsed->signing_input, token.substr(0, token.rfind('.')));
  EXPECT_TRUE(verify_signature(*parsed, public_key));

  // A changed claim, or another key that claims the same kid, fails.
  auto tampered = *parsed;
  tampered.signing_input = segment(bj::serialize(parsed->header)) + "." +
                           segment(R"({"iss":"archon-auth-service","sub":"admin","exp":1735689600})");
  EXPECT_FALSE(verify_signature(tampered, public_key));
  const auto impostor =
      VerificationKey::from_signing_key(SigningKey::generate(GetParam(), "key-2025-01"));
  EXPECT_FALSE(verify_signature(*parsed, impostor));
  // The right key published under another kid is not used either.
  auto jwk = key.public_jwk();
  jwk["kid"] = "key-2025-02";
  auto other_kid = VerificationKey::from_jwk(jwk);
  ASSERT_TRUE(other_kid);
  EXPECT_FALSE(verify_signature(*parsed, *other_kid));
}

INSTANTIATE_TEST_SUITE_P(AllAlgorithms, JwtRoundTrip,
                         ::testing::Values(JwsAlgorithm::kRS256, JwsAlgorithm::kES256,
                                           JwsAlgorithm::kEdDSA));

TEST(JwtEncode, RefusesKeyReferencingAndCriticalHeaders) {
  const auto key = SigningKey::generate(JwsAlgorithm::kEdDSA, "k");
  for (const char* name : {"crit", "jku", "x5u", "jwk", "x5c"})
    EXPECT_THROW(encode(bj::object{{name, "x"}}, bj::object{}, key), std::invalid_argument);
}

// ---- algorithm confusion (RFC 8725 §2.1, §3.1) -------------------------------------------
TEST(JwtAttacks, AlgNoneInAnySpellingIsRejected) {
  for (const char* alg : {"none", "None", "nOnE", "NONE"}) {
    const std::string header = R"({"alg":")"s + alg + R"(","kid":"k"})";
    const std::string unsigned_token = segment(header) + "." + segment(kClaims) + ".";
    EXPECT_EQ(rejection(unsigned_token), JwtError::kEmptySegment) << alg;
    EXPECT_EQ(rejection(forge(header, kClaims, "sig")), JwtError::kUnacceptableAlgorithm) << alg;
  }
}

TEST(JwtAttacks, RsaTokenResignedWithHs256UsingThePublicKeyIsRejected) {
  const auto key = SigningKey::generate(JwsAlgorithm::kRS256, "rsa-1");
  const auto public_key = VerificationKey::from_signing_key(key);
  // The attacker's copy of the public key is its JWKS entry; they use it as the HMAC secret.
  const std::string public_jwk_text = bj::serialize(key.public_jwk());
  const std::string header = segment(R"({"alg":"HS256","kid":"rsa-1"})");
  const std::string input = header + "." + segment(kClaims);
  std::array<unsigned char, 32> mac{};
  std::size_t mac_len = 0;
  ASSERT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, public_jwk_text.data(),
                      public_jwk_text.size(),
                      reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                      mac.data(), mac.size(), &mac_len),
            nullptr);
  const std::string mac_bytes(reinterpret_cast<const char*>(mac.data()), mac_len);
  EXPECT_EQ(rejection(input + "." + base64url_encode(mac_bytes)), JwtError::kUnacceptableAlgorithm);
  // Even handed straight to the key, an HMAC is not an RS256 signature.
  EXPECT_FALSE(public_key.verify(input, mac_bytes));
  for (const char* alg : {"HS384", "HS512", "RS384", "PS256", "ES384", "Ed25519", "rs256"})
    EXPECT_EQ(rejection(forge(R"({"alg":")"s + alg + R"(","kid":"k"})", kClaims, "s")),
              JwtError::kUnacceptableAlgorithm)
        << alg;
}

TEST(JwtAttacks, AlgMustEqualTheKeysAlgorithm) {
  // An ES256 key and an EdDSA token with the same kid: the key's algorithm decides.
  const auto ed_key = SigningKey::generate(JwsAlgorithm::kEdDSA, "shared");
  const auto es_public = VerificationKey::from_signing_key(
      SigningKey::generate(JwsAlgorithm::kES256, "shared"));
  auto parsed = parse_compact(encode(bj::object{}, bj::object{}, ed_key));
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(verify_signature(*parsed, es_public));
}

TEST(JwtAttacks, MissingOrNonStringAlgIsRejected) {
  for (const char* header : {R"({"kid":"k"})", R"({"alg":null,"kid":"k"})",
                             R"({"alg":["RS256"],"kid":"k"})", R"({"alg":256,"kid":"k"})"})
    EXPECT_EQ(rejection(forge(header, kClaims, "s")), JwtError::kUnacceptableAlgorithm) << header;
}

TEST(JwtAttacks, Es256SignatureOf64ZeroBytesIsRejected) {
  const auto key = a3_verification_key();
  auto parsed = parse_compact(forge(R"({"alg":"ES256","kid":"a3"})", kClaims, std::string(64, '\0')));
  ASSERT_TRUE(parsed);  // well-formed; the signature check is what fails
  EXPECT_FALSE(verify_signature(*parsed, key));
}

TEST(JwtAttacks, EmbeddedKeysAndKeyUrlsAreIgnored) {
  // An attacker signs with their own key and points at it every way JOSE allows.
  const auto attacker = SigningKey::generate(JwsAlgorithm::kES256, "victim-kid");
  const auto victim = VerificationKey::from_signing_key(
      SigningKey::generate(JwsAlgorithm::kES256, "victim-kid"));
  bj::object header{{"alg", "ES256"},
                    {"kid", "victim-kid"},
                    {"jku", "https://attacker.example/jwks.json"},
                    {"x5u", "https://attacker.example/cert.pem"},
                    {"jwk", attacker.public_jwk()},
                    {"x5c", bj::array{"MIIBattacker"}}};
  const std::string input = segment(bj::serialize(header)) + "." + segment(kClaims);
  const std::string token = input + "." + base64url_encode(attacker.sign(input));
  auto parsed = parse_compact(token);
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(verify_signature(*parsed, victim));
}

// ---- structure before decoding -----------------------------------------------------------
TEST(JwtParse, NeedsExactlyThreeNonEmptySegments) {
  const std::string header = segment(R"({"alg":"ES256","kid":"k"})");
  const std::string payload = segment(kClaims);
  const std::string signature = base64url_encode(std::string(64, '\x01'));
  EXPECT_TRUE(parse_compact(header + "." + payload + "." + signature));
  EXPECT_EQ(rejection(""), JwtError::kWrongSegmentCount);
  EXPECT_EQ(rejection(header), JwtError::kWrongSegmentCount);
  EXPECT_EQ(rejection(header + "." + payload), JwtError::kWrongSegmentCount);
  EXPECT_EQ(rejection(header + "." + payload + "." + signature + "." + signature),
            JwtError::kWrongSegmentCount);
  EXPECT_EQ(rejection(header + "." + payload + "." + signature + "."),
            JwtError::kWrongSegmentCount);
  EXPECT_EQ(rejection(header + ".." + payload + "." + signature), JwtError::kWrongSegmentCount);
  EXPECT_EQ(rejection("a.b.c.d.e"), JwtError::kWrongSegmentCount);  // JWE shape
  EXPECT_EQ(rejection(".."), JwtError::kEmptySegment);
  EXPECT_EQ(rejection("." + payload + "." + signature), JwtError::kEmptySegment);
  EXPECT_EQ(rejection(header + ".." + signature), JwtError::kEmptySegment);
  EXPECT_EQ(rejection(header + "." + payload + "."), JwtError::kEmptySegment);
}

TEST(JwtParse, OnlyTheCompactAlphabetIsAllowed) {
  const std::string good = forge(R"({"alg":"ES256","kid":"k"})", kClaims, std::string(64, '\x01'));
  ASSERT_TRUE(parse_compact(good));
  const std::size_t first_dot = good.find('.');
  for (const std::string& bad : {"="s, "+"s, "/"s, " "s, "\n"s, "\t"s, "\0"s, "\xc3\xa9"s,
                                 "\xe2\x80\x8b"s, "%"s, "\\"s, "\""s, "~"s}) {
    for (std::size_t at : {std::size_t{0}, first_dot, good.size()}) {
      std::string token = good;
      token.insert(at, bad);
      EXPECT_EQ(rejection(token), JwtError::kBadCharacter) << at;
    }
  }
  // Standard base64 with padding in the signature segment, as some libraries emit.
  EXPECT_EQ(rejection(good + "=="), JwtError::kBadCharacter);
  EXPECT_EQ(rejection("Bearer " + good), JwtError::kBadCharacter);
}

TEST(JwtParse, SizeCapAppliesBeforeAnythingElse) {
  const std::string huge_header =
      R"({"alg":"ES256","kid":"k","pad":")" + std::string(1024 * 1024, 'a') + R"("})";
  const std::string token = forge(huge_header, kClaims, std::string(64, '\x01'));
  EXPECT_EQ(rejection(token), JwtError::kTooLarge);
  EXPECT_EQ(rejection(std::string(8193, '=')), JwtError::kTooLarge);
  // Exactly at the cap is fine; one byte over is not.
  const std::string good = forge(R"({"alg":"ES256","kid":"k"})", kClaims, std::string(64, '\x01'));
  EXPECT_TRUE(parse_compact(good, good.size()));
  EXPECT_EQ(rejection(good, good.size() - 1), JwtError::kTooLarge);
}

TEST(JwtParse, SegmentsMustBeCanonicalBase64Url) {
  const std::string payload = segment(kClaims);
  const std::string signature = base64url_encode(std::string(64, '\x01'));
  // A second spelling of the same header bytes: set one of the unused low bits.
  std::string header = segment(R"({"alg":"ES256","kid":"k"})");
  ASSERT_EQ(header.size() % 4, 2u);  // two trailing characters, 4 unused bits
  header.back() = static_cast<char>(header.back() + 1);
  EXPECT_EQ(rejection(header + "." + payload + "." + signature), JwtError::kBadBase64);
  EXPECT_EQ(rejection(segment(R"({"alg":"ES256","kid":"k"})") + "." + payload + "." + "A"),
            JwtError::kBadBase64);
  EXPECT_EQ(rejection("A." + payload + "." + signature), JwtError::kBadBase64);
}

TEST(JwtParse, HeaderAndPayloadAreStrictJsonObjects) {
  const std::string sig(64, '\x01');
  EXPECT_EQ(rejection(forge(R"({"alg":"ES256","kid":"k","alg":"none"})", kClaims, sig)),
            JwtError::kBadHeaderJson);
  EXPECT_EQ(rejection(forge(R"({"alg":"ES256","kid":"k","kid":"other"})", kClaims, sig)),
            JwtError::kBadHeaderJson);
  EXPECT_EQ(rejection(forge(R"({"alg":"ES256","kid":"k"})", R"({"sub":"a","sub":"admin"})", sig)),
            JwtError::kBadPayloadJson);
  EXPECT_EQ(rejection(forge(R"({"alg":"ES256","kid":"k"} )" "x", kClaims, sig)),
            JwtError::kBadHeaderJson);
  EXPECT_EQ(rejection(forge("{\"alg\":\"ES256\",\"kid\":\"k\",\"x\":\"\xff\"}", kClaims, sig)),
            JwtError::kBadHeaderJson);
  EXPECT_EQ(rejection(forge(R"({"alg":"ES256","kid":"k"})",
                            std::string(40, '[') + std::string(40, ']'), sig)),
            JwtError::kBadPayloadJson);
  EXPECT_EQ(rejection(forge(R"(["ES256"])", kClaims, sig)), JwtError::kHeaderNotObject);
  EXPECT_EQ(rejection(forge(R"("ES256")", kClaims, sig)), JwtError::kHeaderNotObject);
  EXPECT_EQ(rejection(forge(R"({"alg":"ES256","kid":"k"})", R"([1,2])", sig)),
            JwtError::kPayloadNotObject);
  EXPECT_EQ(rejection(forge(R"({"alg":"ES256","kid":"k"})", "Example of Ed25519 signing", sig)),
            JwtError::kBadPayloadJson);
}

TEST(JwtParse, KidMustBePresentAndNarrow) {
  const std::string sig(64, '\x01');
  auto with_kid = [&](const std::string& kid_json) {
    return forge(R"({"alg":"ES256","kid":)" + kid_json + "}", kClaims, sig);
  };
  EXPECT_TRUE(parse_compact(with_kid(R"("key_id_2025")")));
  EXPECT_TRUE(parse_compact(with_kid('"' + std::string(128, 'k') + '"')));
  for (const std::string& kid_json :
       {R"("../../dev/null")"s, R"("' OR '1'='1")"s, R"("")"s, R"(7)"s, R"(null)"s,
        R"(["k"])"s, R"("k\u0000")"s, R"("k\n")"s, '"' + std::string(129, 'k') + '"'})
    EXPECT_EQ(rejection(with_kid(kid_json)), JwtError::kBadKid) << kid_json;
  // A 10 KB kid is refused by size first, and by the kid rule when the cap is raised.
  const std::string long_kid = with_kid('"' + std::string(10 * 1024, 'k') + '"');
  EXPECT_EQ(rejection(long_kid), JwtError::kTooLarge);
  EXPECT_EQ(rejection(long_kid, 64 * 1024), JwtError::kBadKid);
  EXPECT_EQ(rejection(forge(R"({"alg":"ES256"})", kClaims, sig)), JwtError::kBadKid);
}

TEST(JwtParse, CriticalHeadersAreRefused) {
  EXPECT_EQ(rejection(forge(R"({"alg":"ES256","kid":"k","crit":["exp"],"exp":1})", kClaims,
                            std::string(64, '\x01'))),
            JwtError::kUnsupportedCritical);
  EXPECT_EQ(rejection(forge(R"({"alg":"ES256","kid":"k","b64":false,"crit":["b64"]})", kClaims,
                            std::string(64, '\x01'))),
            JwtError::kUnsupportedCritical);
}

TEST(JwtErrors, HaveDescriptions) {
  for (int i = 0; i <= static_cast<int>(JwtError::kUnsupportedCritical); ++i)
    EXPECT_STRNE(describe(static_cast<JwtError>(i)), "invalid token");
}

}  // namespace
}  // namespace archon::crypto
