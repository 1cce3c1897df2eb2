#include "identity/password_policy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace archon::identity {
namespace {

using namespace std::string_literals;

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

TEST(Utf8CodePoints, CountsCodePointsNotBytes) {
  EXPECT_EQ(count_utf8_code_points(""), 0u);
  EXPECT_EQ(count_utf8_code_points("abc"), 3u);
  EXPECT_EQ(count_utf8_code_points("caf\xC3\xA9"), 4u);              // é: 2 bytes
  EXPECT_EQ(count_utf8_code_points("\xE2\x82\xAC"), 1u);             // €: 3 bytes
  EXPECT_EQ(count_utf8_code_points("\xF0\x9F\x98\x80"), 1u);         // 😀: 4 bytes
  EXPECT_EQ(count_utf8_code_points("e\xCC\x81"), 2u);                // e + combining acute
  EXPECT_EQ(count_utf8_code_points("a\0b"s), 3u);                    // NUL is a character
  EXPECT_EQ(count_utf8_code_points("\xF4\x8F\xBF\xBF"), 1u);         // U+10FFFF, the last one
  EXPECT_EQ(count_utf8_code_points("\xED\x9F\xBF\xEE\x80\x80"), 2u);  // around the surrogates
}

TEST(Utf8CodePoints, RejectsMalformedSequences) {
  for (const char* bad : {"\x80", "a\xBF", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xF0\x80\x80\xAF",
                          "\xED\xA0\x80", "\xED\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF",
                          "\xE2\x82", "\xF0\x9F\x98", "abc\xC3", "\xC3(", "\xE2\x28\xA1"})
    EXPECT_FALSE(count_utf8_code_points(bad).has_value()) << testing::PrintToString(std::string(bad));
}

TEST(PasswordPolicy, LengthIsCountedInCodePoints) {
  const PasswordPolicy policy;
  EXPECT_TRUE(check_password("mxq7-vorpal-zebu", policy) == std::nullopt);
  EXPECT_TRUE(check_password("zq8#vTn2!kLw", policy) == std::nullopt);  // exactly 12
  EXPECT_TRUE(check_password("zq8#vTn2!kL", policy).has_value());       // 11
  EXPECT_TRUE(check_password(repeat("zQ8", 42) + "xy", policy) == std::nullopt);  // 128
  EXPECT_TRUE(check_password(repeat("zQ8", 43), policy).has_value());             // 129

  // 12 emoji are 48 bytes but 12 characters; 11 are too few however many bytes they take.
  EXPECT_TRUE(check_password(repeat("\xF0\x9F\x98\x80", 12), policy) == std::nullopt);
  EXPECT_TRUE(check_password(repeat("\xF0\x9F\x98\x80", 11), policy).has_value());
  // 128 two-byte characters (256 bytes) pass; 129 do not.
  EXPECT_TRUE(check_password(repeat("\xC3\xA9", 128), policy) == std::nullopt);
  EXPECT_TRUE(check_password(repeat("\xC3\xA9", 129), policy).has_value());
  // Combining marks are characters of their own.
  EXPECT_TRUE(check_password(repeat("e\xCC\x81", 6), policy) == std::nullopt);
  // NUL is allowed and counts.
  EXPECT_TRUE(check_password("zq8#vTn2!kL\0"s, policy) == std::nullopt);
  EXPECT_TRUE(check_password("zq8#vTn2!k\0"s, policy).has_value());
}

TEST(PasswordPolicy, MessagesAreClientSafe) {
  const PasswordPolicy policy;
  const std::string short_password = "hunter2";
  const auto too_short = check_password(short_password, policy);
  ASSERT_TRUE(too_short.has_value());
  EXPECT_EQ(*too_short, "Password must be at least 12 characters long.");
  EXPECT_EQ(too_short->find(short_password), std::string::npos);

  EXPECT_EQ(check_password(repeat("zQ8", 43), policy), "Password must be at most 128 characters long.");
  EXPECT_EQ(check_password("zq8#vTn2!kLw\xFF", policy), "Password must be valid UTF-8 text.");
  const auto common = check_password("password1234", policy);
  ASSERT_TRUE(common.has_value());
  EXPECT_EQ(common->find("password1234"), std::string::npos);
}

TEST(PasswordPolicy, BoundsAreConfigurable) {
  const PasswordPolicy policy{.min_chars = 16, .max_chars = 20};
  EXPECT_EQ(check_password("zq8#vTn2!kLw", policy), "Password must be at least 16 characters long.");
  EXPECT_TRUE(check_password("zq8#vTn2!kLw-mxq7", policy) == std::nullopt);
  EXPECT_EQ(check_password(repeat("zQ8", 7), policy), "Password must be at most 20 characters long.");
}

TEST(PasswordPolicy, RefusesCommonPasswordsWhateverTheirAsciiCase) {
  const PasswordPolicy policy;
  for (const char* common : {"password1234", "PASSWORD1234", "Password1234", "qwertyuiop123", "QwErTyUiOp123",
                             "123456789012", "1qaz2wsx3edc", "administrator", "passwordpassword"})
    EXPECT_TRUE(check_password(common, policy).has_value()) << common;
}

TEST(CommonPasswords, ShippedListIsLoadedAndLarge) {
  const auto& list = CommonPasswords::instance();
  EXPECT_GT(list.size(), 40000u);
  EXPECT_TRUE(list.contains("password1234"));
  EXPECT_TRUE(list.contains("123456"));  // short ones are kept too (harmless, keeps it simple)
  EXPECT_FALSE(list.contains("mxq7-vorpal-zebu"));
  EXPECT_FALSE(list.contains(""));
}

TEST(CommonPasswords, ParsesLinesAndFoldsOnlyAsciiCase) {
  const CommonPasswords list("zebra\r\nApple\n\nmango\napple\n\xC3\xA9t\xC3\xA9\nno-newline-at-end");
  EXPECT_EQ(list.size(), 5u);  // the blank line is skipped, "Apple"/"apple" are one entry
  EXPECT_TRUE(list.contains("zebra"));  // '\r' stripped
  EXPECT_TRUE(list.contains("APPLE"));
  EXPECT_TRUE(list.contains("MaNgO"));
  EXPECT_TRUE(list.contains("no-newline-at-end"));
  EXPECT_TRUE(list.contains("\xC3\xA9t\xC3\xA9"));
  EXPECT_FALSE(list.contains("\xC3\x89T\xC3\x89"));  // "ÉTÉ": only ASCII letters fold
  EXPECT_FALSE(list.contains("zebr"));
  EXPECT_FALSE(list.contains("zebra\n"));
  EXPECT_FALSE(list.contains("zebra\0"s));
}

}  // namespace
}  // namespace archon::identity
