#include "identity/argon2id.hpp"

#include <argon2.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <stdexcept>
#include <string>
#include <thread>

namespace archon::identity::argon2id {
namespace {

using namespace std::string_literals;

constexpr Cost kSmall{.memory_kib = 256, .iterations = 2, .lanes = 1};

// RFC 9106 section 5.3: Argon2id v1.3, m=32 KiB, t=3, p=4, with secret and associated data.
// Run through the vendored library directly, so the block filler this build picked (AVX2 here,
// SSE2 or portable elsewhere) is checked against the published tag.
TEST(Argon2id, MatchesTheRfc9106TestVector) {
  std::array<uint8_t, 32> password{}, tag{};
  std::array<uint8_t, 16> salt{};
  std::array<uint8_t, 8> secret{};
  std::array<uint8_t, 12> ad{};
  password.fill(0x01);
  salt.fill(0x02);
  secret.fill(0x03);
  ad.fill(0x04);
  argon2_context ctx{};
  ctx.out = tag.data();
  ctx.outlen = tag.size();
  ctx.pwd = password.data();
  ctx.pwdlen = password.size();
  ctx.salt = salt.data();
  ctx.saltlen = salt.size();
  ctx.secret = secret.data();
  ctx.secretlen = secret.size();
  ctx.ad = ad.data();
  ctx.adlen = ad.size();
  ctx.t_cost = 3;
  ctx.m_cost = 32;
  ctx.lanes = 4;
  ctx.threads = 4;
  ctx.version = ARGON2_VERSION_13;
  ASSERT_EQ(argon2_ctx(&ctx, Argon2_id), ARGON2_OK);
  const std::array<uint8_t, 32> expected = {0x0d, 0x64, 0x0d, 0xf5, 0x8d, 0x78, 0x76, 0x6c, 0x08, 0xc0, 0x37,
                                            0xa3, 0x4a, 0x8b, 0x53, 0xc9, 0xd0, 0x1e, 0xf0, 0x45, 0x2d, 0x75,
                                            0xb6, 0x5e, 0xb5, 0x25, 0x20, 0xe9, 0x6b, 0x01, 0xe6, 0x59};
  EXPECT_EQ(tag, expected) << "block filler " << implementation();
}

// The reference implementation's own PHC vectors (src/test.c), through verify().
TEST(Argon2id, VerifiesTheReferencePhcVectors) {
  const char* vectors[] = {
      "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
      "$argon2id$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$9qWtwbpyPd3vm1rB1GThgPzZ3/ydHL92zKL+15XZypg",
  };
  for (const char* encoded : vectors) {
    EXPECT_TRUE(verify("password", encoded)) << encoded;
    EXPECT_FALSE(verify("passwore", encoded)) << encoded;
  }
  EXPECT_EQ(cost_of(vectors[1]), (Cost{.memory_kib = 256, .iterations = 2, .lanes = 2}));
}

TEST(Argon2id, HashesAreStandardPhcStringsWithFreshSalts) {
  const std::string a = hash("zq8#vTn2!kLw", kSmall);
  const std::string b = hash("zq8#vTn2!kLw", kSmall);
  EXPECT_EQ(a.rfind("$argon2id$v=19$m=256,t=2,p=1$", 0), 0u) << a;
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify("zq8#vTn2!kLw", a));
  EXPECT_TRUE(verify("zq8#vTn2!kLw", b));
  EXPECT_FALSE(verify("zq8#vTn2!kLW", a));
  EXPECT_EQ(cost_of(a), kSmall);
  // Every byte counts, NUL included; the empty password is a password.
  const std::string with_nul = "abc\0def"s;
  const std::string stored = hash(with_nul, kSmall);
  EXPECT_TRUE(verify(with_nul, stored));
  EXPECT_FALSE(verify("abc", stored));
  EXPECT_TRUE(verify("", hash("", kSmall)));
}

// Hashes move between deployments and libraries: ours must read libsodium's and the reverse.
TEST(Argon2id, InteroperatesWithLibsodium) {
  ASSERT_GE(sodium_init(), 0);
  const std::string password = "caf\xC3\xA9 \xF0\x9F\x94\x91 horse";
  std::array<char, crypto_pwhash_STRBYTES> sodium_hash{};
  ASSERT_EQ(crypto_pwhash_str_alg(sodium_hash.data(), password.data(), password.size(), 2, 19 * 1024 * 1024,
                                  crypto_pwhash_ALG_ARGON2ID13),
            0);
  EXPECT_TRUE(verify(password, sodium_hash.data()));
  EXPECT_FALSE(verify(password + "!", sodium_hash.data()));
  EXPECT_EQ(cost_of(sodium_hash.data()), (Cost{.memory_kib = 19 * 1024, .iterations = 2, .lanes = 1}));

  const std::string ours = hash(password, {.memory_kib = 19 * 1024, .iterations = 2});
  EXPECT_EQ(crypto_pwhash_str_verify(ours.c_str(), password.data(), password.size()), 0);
  EXPECT_NE(crypto_pwhash_str_verify(ours.c_str(), "other", 5), 0);
  EXPECT_EQ(crypto_pwhash_str_needs_rehash(ours.c_str(), 2, 19 * 1024 * 1024), 0);
}

TEST(Argon2id, MalformedOrUnboundedStringsAreRefused) {
  const std::string good = hash("pw", kSmall);
  const std::string cases[] = {
      "",
      "$argon2id$",
      "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2id$v=16$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2id$v=19$m=256,t=0,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2id$v=19$m=256,t=4096,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      "$argon2id$v=19$m=8388608,t=1,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
      good.substr(0, 20) + "\0"s + good.substr(20),
      "$argon2id$" + std::string(1000, 'A'),
  };
  for (const std::string& encoded : cases) {
    EXPECT_FALSE(verify("pw", encoded)) << testing::PrintToString(encoded);
    EXPECT_FALSE(cost_of(encoded).has_value()) << testing::PrintToString(encoded);
  }
  // Well-formed but another tag: parses, never verifies.
  for (const std::string& other_tag : {good.substr(0, good.size() - 5), good + "A"})
    EXPECT_FALSE(verify("pw", other_tag)) << other_tag;
}

TEST(Argon2id, RefusesCostsArgon2Cannot) {
  EXPECT_THROW(check_cost({.memory_kib = 4, .iterations = 1}), std::invalid_argument);
  EXPECT_THROW(check_cost({.memory_kib = 256, .iterations = 0}), std::invalid_argument);
  EXPECT_THROW(check_cost({.memory_kib = 256, .iterations = 1, .lanes = 0}), std::invalid_argument);
  EXPECT_NO_THROW(check_cost(kSmall));
}

// The point of this file: a thread keeps its hash memory until it gives it back.
TEST(Argon2id, KeepsItsMemoryPerThreadUntilReleased) {
  std::thread([] {
    EXPECT_EQ(thread_memory_bytes(), 0u);
    const std::string stored = hash("pw", kSmall);
    EXPECT_EQ(thread_memory_bytes(), 256u * 1024);
    EXPECT_TRUE(verify("pw", stored));  // reuses it
    EXPECT_EQ(thread_memory_bytes(), 256u * 1024);
    // A bigger cost grows the region; a smaller one fits in it.
    EXPECT_TRUE(verify("pw", hash("pw", {.memory_kib = 512, .iterations = 1})));
    EXPECT_EQ(thread_memory_bytes(), 512u * 1024);
    EXPECT_TRUE(verify("pw", stored));
    EXPECT_EQ(thread_memory_bytes(), 512u * 1024);
    release_thread_memory();
    EXPECT_EQ(thread_memory_bytes(), 0u);
    EXPECT_TRUE(verify("pw", stored));  // and maps it again when needed
  }).join();
}

TEST(Argon2id, NamesItsBlockFiller) {
  const std::string_view name = implementation();
  EXPECT_TRUE(name == "avx2" || name == "sse2" || name == "portable") << name;
}

}  // namespace
}  // namespace archon::identity::argon2id
