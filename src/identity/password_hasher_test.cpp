#include "identity/password_hasher.hpp"

#include <crypt.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace archon::identity {
namespace {

using namespace std::string_literals;

// Small parameters keep the suite fast; one test below uses the defaults.
constexpr Argon2Params kFastParams{.memory_bytes = 8 * 1024 * 1024, .iterations = 1};

const PasswordHasher& fast_hasher() {
  static const PasswordHasher hasher(kFastParams);
  return hasher;
}

// A bcrypt hash as an imported user table would hold it, made with libxcrypt at cost 4.
std::string bcrypt_hash(const std::string& password, const char* prefix = "$2b$") {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn(prefix, 4, nullptr, 0, salt, sizeof salt) == nullptr) throw std::runtime_error("gensalt");
  auto scratch = std::make_unique<crypt_data>();
  const char* hashed = crypt_r(password.c_str(), salt, scratch.get());
  if (hashed == nullptr || hashed[0] == '*') throw std::runtime_error("crypt_r");
  return hashed;
}

TEST(PasswordHasher, DefaultsAreOwaspArgon2id) {
  const PasswordHasher hasher;
  const std::string stored = hasher.hash("correct horse battery staple");
  EXPECT_EQ(stored.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << stored;
  const VerifyResult result = hasher.verify("correct horse battery staple", stored);
  EXPECT_TRUE(result.ok);
  EXPECT_FALSE(result.needs_rehash);
  EXPECT_FALSE(hasher.verify("correct horse battery stapler", stored).ok);
}

TEST(PasswordHasher, RoundTripsAndRefusesWrongPasswords) {
  const auto& hasher = fast_hasher();
  const std::string stored = hasher.hash("zq8#vTn2!kLw");
  EXPECT_EQ(stored.rfind("$argon2id$v=19$m=8192,t=1,p=1$", 0), 0u) << stored;
  EXPECT_TRUE(hasher.verify("zq8#vTn2!kLw", stored).ok);
  EXPECT_FALSE(hasher.verify("zq8#vTn2!kLW", stored).ok);
  EXPECT_FALSE(hasher.verify("zq8#vTn2!kL", stored).ok);
  EXPECT_FALSE(hasher.verify("", stored).ok);
  EXPECT_NE(hasher.hash("zq8#vTn2!kLw"), stored);  // fresh salt every time
}

TEST(PasswordHasher, UsesEveryByteOfUnicodeAndNulPasswords) {
  const auto& hasher = fast_hasher();
  const std::string with_nul = "abcdefgh\0ijklmnop"s;
  const std::string emoji = "\xF0\x9F\x94\x91\xF0\x9F\x90\x89 dragon key \xF0\x9F\x94\x91";
  const std::string combining = "cafe\xCC\x81 na\xC3\xAFve re\xCC\x81sume\xCC\x81";  // decomposed é
  const std::string precomposed = "caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9";
  for (const std::string& password : {with_nul, emoji, combining}) {
    const std::string stored = hasher.hash(password);
    EXPECT_TRUE(hasher.verify(password, stored).ok);
    // What a C-string API would have seen: everything before the first NUL.
    EXPECT_FALSE(hasher.verify(std::string(password.c_str()) + "x", stored).ok);
  }
  const std::string stored_with_nul = hasher.hash(with_nul);
  EXPECT_FALSE(hasher.verify("abcdefgh", stored_with_nul).ok);
  EXPECT_FALSE(hasher.verify("abcdefgh\0"s, stored_with_nul).ok);
  EXPECT_FALSE(hasher.verify("abcdefgh\0ijklmnoq"s, stored_with_nul).ok);
  // No normalisation: the same text in another Unicode form is another password.
  EXPECT_FALSE(hasher.verify(precomposed, hasher.hash(combining)).ok);
}

TEST(PasswordHasher, ChangedParametersAskForARehash) {
  const PasswordHasher stronger({.memory_bytes = 9 * 1024 * 1024, .iterations = 1});
  const std::string old_hash = fast_hasher().hash("zq8#vTn2!kLw");
  const VerifyResult result = stronger.verify("zq8#vTn2!kLw", old_hash);
  EXPECT_TRUE(result.ok);
  EXPECT_TRUE(result.needs_rehash);
  EXPECT_FALSE(fast_hasher().verify("zq8#vTn2!kLw", old_hash).needs_rehash);

  const PasswordHasher more_iterations({.memory_bytes = kFastParams.memory_bytes, .iterations = 2});
  EXPECT_TRUE(more_iterations.verify("zq8#vTn2!kLw", old_hash).needs_rehash);
  EXPECT_FALSE(more_iterations.verify("wrong password", old_hash).needs_rehash);  // only when ok
}

TEST(PasswordHasher, VerifiesImportedBcryptAndAsksForARehash) {
  const auto& hasher = fast_hasher();
  for (const char* prefix : {"$2b$", "$2a$", "$2y$"}) {
    const std::string stored = bcrypt_hash("imported passw\xC3\xB6rd", prefix);
    ASSERT_EQ(stored.rfind(prefix, 0), 0u) << stored;
    const VerifyResult result = hasher.verify("imported passw\xC3\xB6rd", stored);
    EXPECT_TRUE(result.ok) << prefix;
    EXPECT_TRUE(result.needs_rehash) << prefix;
    EXPECT_FALSE(hasher.verify("imported passw\xC3\xB6rD", stored).ok);
    EXPECT_FALSE(hasher.verify("", stored).ok);
  }
}

TEST(PasswordHasher, BcryptNeverSeesATruncatedPassword) {
  const auto& hasher = fast_hasher();
  // bcrypt itself would accept "secret-prefix" + NUL + anything for the hash of the prefix.
  const std::string prefix_hash = bcrypt_hash("secret-prefix-12");
  EXPECT_TRUE(hasher.verify("secret-prefix-12", prefix_hash).ok);
  EXPECT_FALSE(hasher.verify("secret-prefix-12\0anything"s, prefix_hash).ok);

  // ... and uses only 72 bytes, so a longer password matches its first 72 bytes' hash.
  const std::string seventy_two(72, 'p');
  const std::string long_hash = bcrypt_hash(seventy_two);
  EXPECT_TRUE(hasher.verify(seventy_two, long_hash).ok);
  EXPECT_FALSE(hasher.verify(seventy_two + "q", long_hash).ok);
  EXPECT_FALSE(hasher.verify(seventy_two + "different tail", long_hash).ok);
}

TEST(PasswordHasher, MalformedStoredHashesFailQuietly) {
  const auto& hasher = fast_hasher();
  const std::string good = hasher.hash("zq8#vTn2!kLw");
  const std::string good_bcrypt = bcrypt_hash("zq8#vTn2!kLw");
  std::string flipped = good;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  std::string flipped_bcrypt = good_bcrypt;
  flipped_bcrypt.back() = flipped_bcrypt.back() == 'a' ? 'b' : 'a';
  const std::string cases[] = {
      "",
      "zq8#vTn2!kLw",  // a plaintext column must not "verify" against itself
      "$argon2id$",
      "$argon2id$v=19$m=8192,t=1,p=1$",
      "$argon2id$v=19$m=abc,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA",
      "$argon2id$v=19$m=8192,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
      good.substr(0, good.size() - 10),
      good + "AAAA",
      good + "\0"s + "trailing",
      good.substr(0, 30) + "\0"s + good.substr(30),
      flipped,
      std::string(10000, '$'),
      "$argon2id$" + std::string(200, 'A'),
      "$argon2i$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA",  // Argon2i: not accepted
      "$2b$",
      "$2b$04$",
      "$2b$04$short",
      "$2b$99$" + good_bcrypt.substr(7),
      good_bcrypt.substr(0, good_bcrypt.size() - 1),
      good_bcrypt + "x",
      flipped_bcrypt,
      "$2x$" + good_bcrypt.substr(4),
      "$1$saltsalt$6fSE9aFYVNfQ5VYAeelAb.",  // MD5-crypt
      "$6$saltsalt$xyz",
      "*0",
  };
  for (const std::string& stored : cases) {
    const VerifyResult result = hasher.verify("zq8#vTn2!kLw", stored);
    EXPECT_FALSE(result.ok) << testing::PrintToString(stored);
    EXPECT_FALSE(result.needs_rehash);
  }
}

TEST(PasswordHasher, DummyVerifyCostsAboutAsMuchAsARealOne) {
  const auto& hasher = fast_hasher();
  const std::string stored = hasher.hash("zq8#vTn2!kLw");
  using Clock = std::chrono::steady_clock;
  auto seconds = [](auto&& f) {
    const auto start = Clock::now();
    f();
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  // Interleaved, best of 7: the least disturbed run of each on a shared, loaded machine.
  double real = 1e9, dummy = 1e9;
  for (int i = 0; i < 7; ++i) {
    real = std::min(real, seconds([&] { (void)hasher.verify("wrong password!", stored); }));
    dummy = std::min(dummy, seconds([&] { hasher.verify_dummy("wrong password!"); }));
  }
  // Loose bounds against noise; a dummy that skipped Argon2 would be ~1000x faster, and one
  // with the default parameters instead of the current ones ~5x slower.
  EXPECT_GT(dummy, real / 3.0);
  EXPECT_LT(dummy, real * 3.0);
}

TEST(PasswordHasher, RefusesParametersOutsideArgon2Limits) {
  EXPECT_THROW(PasswordHasher({.memory_bytes = 1024, .iterations = 2}), std::invalid_argument);
  EXPECT_THROW(PasswordHasher({.memory_bytes = kFastParams.memory_bytes, .iterations = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace archon::identity
