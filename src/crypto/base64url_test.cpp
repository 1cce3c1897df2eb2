#include "crypto/base64url.hpp"

#include <string>

#include <gtest/gtest.h>

namespace archon::crypto {
namespace {

using namespace std::string_literals;

TEST(Base64Url, EncodesRfc4648TestVectorsWithoutPadding) {
  // RFC 4648 §10, with padding removed and the URL-safe alphabet (identical for these inputs).
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Url, UsesTheUrlSafeAlphabet) {
  EXPECT_EQ(base64url_encode("\xfb\xff"s), "-_8");
  EXPECT_EQ(base64url_encode("\xff\xff\xff"s), "____");
  EXPECT_EQ(base64url_encode("\xf8\x00\x00"s), "-AAA");
}

TEST(Base64Url, DecodesWhatItEncodes) {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  for (std::size_t length = 0; length <= all_bytes.size(); ++length) {
    const std::string input = all_bytes.substr(0, length);
    auto decoded = base64url_decode(base64url_encode(input));
    ASSERT_TRUE(decoded) << length;
    EXPECT_EQ(*decoded, input);
  }
}

TEST(Base64Url, DecodesRfc7515Header) {
  // RFC 7515 §A.1: the octets of {"typ":"JWT",\r\n "alg":"HS256"}.
  auto decoded = base64url_decode("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}");
}

TEST(Base64Url, RejectsPadding) {
  for (const char* text : {"Zg==", "Zm8=", "Zg=", "=", "Zm9v===="}) {
    auto decoded = base64url_decode(text);
    ASSERT_FALSE(decoded) << text;
    EXPECT_EQ(decoded.error(), Base64UrlError::kInvalidCharacter) << text;
  }
}

TEST(Base64Url, RejectsTheStandardAlphabetsExtraCharacters) {
  for (const char* text : {"+_8A", "-/8A", "a+b/"}) {
    auto decoded = base64url_decode(text);
    ASSERT_FALSE(decoded) << text;
    EXPECT_EQ(decoded.error(), Base64UrlError::kInvalidCharacter);
  }
}

TEST(Base64Url, RejectsWhitespaceControlAndNonAscii) {
  for (const std::string& text : {"Zm9v Yg"s, " Zm9v"s, "Zm9v\n"s, "Zm9v\r\nYg"s, "Zm\t9v"s,
                                  "Zm9v\0"s, "Zm9v\xc3\xa9"s, "\xff\xfe"s, "Zm.9v"s}) {
    auto decoded = base64url_decode(text);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error(), Base64UrlError::kInvalidCharacter);
  }
}

TEST(Base64Url, RejectsImpossibleLengths) {
  for (const char* text : {"A", "Zm9vY", "Zm9vYmFyZ"}) {
    auto decoded = base64url_decode(text);
    ASSERT_FALSE(decoded) << text;
    EXPECT_EQ(decoded.error(), Base64UrlError::kInvalidLength) << text;
  }
}

TEST(Base64Url, RejectsNonCanonicalTrailingBits) {
  // "Zg" is the only spelling of "f"; "Zh".."Zv" set unused bits and would decode to "f" too.
  // Three characters leave 2 unused bits: "Zm8" is "fo", "Zm9" is a second spelling of it.
  EXPECT_TRUE(base64url_decode("Zg"));
  EXPECT_TRUE(base64url_decode("Zm8"));
  for (const char* text : {"Zh", "Zi", "Zv", "Zm9", "Zm9vYh", "Zm9vYmF"}) {
    auto decoded = base64url_decode(text);
    ASSERT_FALSE(decoded) << text;
    EXPECT_EQ(decoded.error(), Base64UrlError::kNonCanonical) << text;
  }
}

TEST(Base64Url, EveryAcceptedSpellingIsTheCanonicalOne) {
  // Exhaustive over all 2- and 3-character inputs from the alphabet: decoding succeeds only
  // for strings that re-encode to themselves.
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  int accepted = 0;
  for (char a : alphabet)
    for (char b : alphabet) {
      const std::string two{a, b};
      if (auto d = base64url_decode(two)) {
        ++accepted;
        EXPECT_EQ(base64url_encode(*d), two);
      }
      for (char c : alphabet) {
        const std::string three{a, b, c};
        if (auto d = base64url_decode(three)) {
          ++accepted;
          EXPECT_EQ(base64url_encode(*d), three);
        }
      }
    }
  EXPECT_EQ(accepted, 256 + 65536);  // exactly one spelling per 1- and 2-byte string
}

TEST(Base64Url, EmptyIsEmpty) {
  auto decoded = base64url_decode("");
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->empty());
}

TEST(Base64Url, DescribeNeverEchoesInput) {
  for (auto e : {Base64UrlError::kInvalidCharacter, Base64UrlError::kInvalidLength,
                 Base64UrlError::kNonCanonical})
    EXPECT_NE(std::string(describe(e)), "");
}

}  // namespace
}  // namespace archon::crypto
