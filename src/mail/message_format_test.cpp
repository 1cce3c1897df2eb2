#include "mail/message_format.hpp"

#include <gtest/gtest.h>

#include "mail/mail_test_support.hpp"

namespace archon::mail {
namespace {

using test_support::decode_quoted_printable;
using test_support::decode_unstructured;

std::string crlf(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

TEST(QuotedPrintable, EncodesKnownVectors) {
  EXPECT_EQ(quoted_printable_encode(""), "");
  EXPECT_EQ(quoted_printable_encode("plain\n"), "plain\r\n");
  EXPECT_EQ(quoted_printable_encode("a=b\r\n"), "a=3Db\r\n");
  EXPECT_EQ(quoted_printable_encode("no final newline"), "no final newline=\r\n");
  EXPECT_EQ(quoted_printable_encode("trailing \t\nx \n"), "trailing =09\r\nx=20\r\n");
  EXPECT_EQ(quoted_printable_encode("caf\xC3\xA9\n"), "caf=C3=A9\r\n");
  EXPECT_EQ(quoted_printable_encode("bare\rcr\n"), "bare=0Dcr\r\n");
  EXPECT_EQ(quoted_printable_encode("\n\n"), "\r\n\r\n");
}

TEST(QuotedPrintable, SoftBreaksKeepLinesWithin76AndNeverSplitAnEscape) {
  std::string a76(76, 'a');
  EXPECT_EQ(quoted_printable_encode(a76 + "\n"), a76 + "\r\n") << "76 fits without a break";
  EXPECT_EQ(quoted_printable_encode(a76 + "a\n"), std::string(75, 'a') + "=\r\naa\r\n");
  std::string a74(74, 'a');
  EXPECT_EQ(quoted_printable_encode(a74 + "\xC3\xA9\n"), a74 + "=\r\n=C3=A9\r\n");
  EXPECT_EQ(quoted_printable_encode(std::string(72, 'a') + "\xC3\xA9\n"), std::string(72, 'a') + "=C3=\r\n=A9\r\n");
}

TEST(QuotedPrintable, RoundTripsArbitraryUtf8Text) {
  std::string text =
      "Bonjour Zoë,\n\nVérifiez votre adresse: https://archon.local/verify?token=ab=cd+ef/gh\n"
      "Emoji 😀🚀 and combining e\xCC\x81 and CJK 認証サーバー, long: " + std::string(300, 'x') + "\n"
      ".\nFrom the team\r\n\tindented\n  \n" + std::string(200, '=') + "\nend without newline 😀";
  auto decoded = decode_quoted_printable(quoted_printable_encode(text));
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(*decoded, crlf(text));
}

TEST(QuotedPrintable, RoundTripsEveryByteValueAtEveryLinePosition) {
  for (int shift = 0; shift < 80; ++shift) {
    std::string text(static_cast<std::size_t>(shift), 'p');
    for (int b = 1; b < 256; ++b)
      if (b != '\n' && b != '\r') text += static_cast<char>(b);
    text += " \n";
    auto decoded = decode_quoted_printable(quoted_printable_encode(text));
    ASSERT_TRUE(decoded) << decoded.error();
    ASSERT_EQ(*decoded, crlf(text)) << "shift " << shift;
  }
}

TEST(UnstructuredHeader, KeepsShortAsciiPlain) {
  EXPECT_EQ(unstructured_header_value("Verify your email address"), "Verify your email address");
  EXPECT_EQ(unstructured_header_value(""), "");
}

TEST(UnstructuredHeader, EncodesWhatAReaderCouldMisread) {
  for (std::string_view subject : {"Vérifiez votre adresse", "looks =?like?= a word", "tab\there", " leading",
                                   "double  space", "emoji 😀"}) {
    std::string value = unstructured_header_value(subject);
    EXPECT_EQ(value.rfind("=?UTF-8?B?", 0), 0u) << subject;
    auto decoded = decode_unstructured(value);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(*decoded, subject);
  }
}

TEST(UnstructuredHeader, FoldsLongSubjectsIntoWholeCharacterWords) {
  std::string subject;
  for (int i = 0; i < 40; ++i) subject += "Ünïcödé 😀 ";
  std::string value = unstructured_header_value(subject);
  std::string line = "Subject: " + value;
  std::size_t start = 0;
  for (std::size_t eol; (eol = line.find("\r\n", start)) != std::string::npos || start < line.size();) {
    std::string_view physical(line.data() + start, (eol == std::string::npos ? line.size() : eol) - start);
    EXPECT_LE(physical.size(), 78u);
    // Each word on its own must decode to whole UTF-8 characters (RFC 2047 §5).
    auto word = decode_unstructured(physical.substr(physical.find("=?")));
    ASSERT_TRUE(word) << word.error();
    EXPECT_TRUE(is_valid_utf8(*word));
    if (eol == std::string::npos) break;
    start = eol + 2;
    EXPECT_EQ(line[start], ' ') << "continuation lines start with whitespace";
  }
  // Unfolding (dropping CRLF) then decoding gives the subject back.
  std::string unfolded;
  for (char c : value)
    if (c != '\r' && c != '\n') unfolded += c;
  auto decoded = decode_unstructured(unfolded);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(*decoded, subject);
}

TEST(Rfc5322Date, FormatsUtcInEnglishWhateverTheLocale) {
  using std::chrono::system_clock;
  EXPECT_EQ(rfc5322_date(system_clock::from_time_t(0)), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(system_clock::from_time_t(1793700000)), "Tue, 03 Nov 2026 10:00:00 +0000");
  EXPECT_EQ(rfc5322_date(system_clock::from_time_t(1709254861) + std::chrono::milliseconds(999)),
            "Fri, 01 Mar 2024 01:01:01 +0000");
}

TEST(Validation, AddressesAndUtf8) {
  EXPECT_TRUE(is_single_address("ada@example.com"));
  EXPECT_TRUE(is_single_address("first.last+tag@sub.example.co"));
  EXPECT_TRUE(is_single_address("zoë@exämple.com")) << "RFC 6532";
  for (std::string_view bad : {"", "@x", "x@", "a@b@c", "a b@x", "a@x.com, b@y.com", "Eve <e@x.com>", "a@x\r\nBcc: b@y",
                               "a@x\n", "(c)a@x", "a;b@x", "bad\xFF@x.com",
                               "c1\xC2\x85@x.com", "del\x7F@x.com"})
    EXPECT_FALSE(is_single_address(bad)) << bad;
  EXPECT_FALSE(is_single_address(std::string("a@x\0y", 5)));
  EXPECT_EQ(address_domain("ada@example.com"), "example.com");

  EXPECT_TRUE(is_valid_utf8("ascii, é, 認, 😀"));
  for (std::string_view bad :
       {"\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\x80", "\xF8\x88\x80\x80\x80"})
    EXPECT_FALSE(is_valid_utf8(bad));
  EXPECT_TRUE(has_line_break_or_nul(std::string("a\0b", 3)));
  EXPECT_TRUE(has_line_break_or_nul("a\rb"));
  EXPECT_FALSE(has_line_break_or_nul("a\tb"));
}

TEST(ComposeMessage, RefusesEveryHeaderInjection) {
  MessageHeaders h{"archon-auth <no-reply@archon.local>", "Thu, 01 Jan 1970 00:00:00 +0000", "<1@archon.local>"};
  auto refused = [&](store::OutboxMessage m) { return !compose_message(m, h).has_value(); };
  EXPECT_TRUE(refused({"a@x.com\r\nBcc: evil@y.com", "s", "b"}));
  EXPECT_TRUE(refused({"a@x.com", "hello\r\nBcc: evil@y.com", "b"}));
  EXPECT_TRUE(refused({"a@x.com", "hello\nX: y", "b"}));
  EXPECT_TRUE(refused({"a@x.com", std::string("hello\0X", 7), "b"}));
  EXPECT_TRUE(refused({"a@x.com", "bad \xFF utf8", "b"}));
  EXPECT_TRUE(refused({"a@x.com", "s", "bad \xC0\x80 utf8"}));
  h.from = "x\r\nBcc: y";
  EXPECT_TRUE(refused({"a@x.com", "s", "b"}));
  h.from = "archon-auth <no-reply@archon.local>";
  EXPECT_FALSE(refused({"a@x.com", "s", "body may hold\r\nBcc: lines, it is encoded"}));
}

}  // namespace
}  // namespace archon::mail
