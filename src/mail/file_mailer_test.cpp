#include "mail/file_mailer.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "mail/mail_test_support.hpp"

namespace archon::mail {
namespace {

using test_support::files_in;
using test_support::read_file;
using test_support::TempDir;

constexpr std::int64_t kNowMillis = 1793700000123;  // Tue, 03 Nov 2026 10:00:00.123 UTC

FileMailerOptions options_in(const std::filesystem::path& dir) {
  FileMailerOptions o;
  o.directory = dir;
  o.now = [] { return std::chrono::system_clock::time_point(std::chrono::milliseconds(kNowMillis)); };
  return o;
}

const store::OutboxMessage kVerification{
    "ada@example.com", "Vérifiez votre adresse e-mail ✉️",
    "Bonjour Ada,\n\nOuvrez ce lien pour vérifier votre adresse (valable 24 h) :\n"
    "https://archon.local/verify-email?token=Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXhxdXV4cXV1eA==&x=1\n\n"
    "Emoji 😀, combining e\xCC\x81, trailing space \n" + std::string(120, '-') + "\n-- \narchon-auth"};

std::string lf(std::string_view text) {
  std::string out;
  for (char c : text)
    if (c != '\r') out += c;
  return out;
}

// "<" dot-atom-text "@archon.local>", as the writer promises (RFC 5322 §3.6.4 allows more).
bool is_message_id(std::string_view id) {
  constexpr std::string_view kSuffix = "@archon.local>";
  if (id.size() <= kSuffix.size() + 1 || id.front() != '<' || !id.ends_with(kSuffix)) return false;
  std::string_view left = id.substr(1, id.size() - kSuffix.size() - 1);
  return std::all_of(left.begin(), left.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.'; });
}

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST(FileMailer, WritesOneParseableRfc5322FilePerMessage) {
  TempDir tmp;
  FileMailer mailer(options_in(tmp.path() / "data" / "mail"));
  EXPECT_EQ(mode_of(tmp.path() / "data" / "mail"), 0700u);

  auto receipt = mailer.deliver(kVerification, 7);
  ASSERT_TRUE(receipt) << receipt.error();
  auto expected_path = tmp.path() / "data" / "mail" / "1793700000123-7.eml";
  EXPECT_EQ(receipt->location, expected_path.string());
  EXPECT_EQ(files_in(expected_path.parent_path()), std::vector{expected_path}) << "no temp file left behind";
  EXPECT_EQ(mode_of(expected_path), 0600u);

  auto parsed = test_support::parse_message(read_file(expected_path));
  ASSERT_TRUE(parsed) << parsed.error();
  for (const auto& line : parsed->header_lines) EXPECT_LE(line.size(), 78u) << line;
  for (const char* name : {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type",
                           "Content-Transfer-Encoding"})
    EXPECT_EQ(parsed->count(name), 1) << name;
  EXPECT_EQ(parsed->headers.size(), 8u);
  EXPECT_EQ(parsed->header("From"), "archon-auth <no-reply@archon.local>");
  EXPECT_EQ(parsed->header("To"), "ada@example.com");
  EXPECT_EQ(parsed->header("Date"), "Tue, 03 Nov 2026 10:00:00 +0000");
  EXPECT_TRUE(is_message_id(parsed->header("Message-ID"))) << parsed->header("Message-ID");
  EXPECT_EQ(parsed->header("MIME-Version"), "1.0");
  EXPECT_EQ(parsed->header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(parsed->header("Content-Transfer-Encoding"), "quoted-printable");

  auto subject = test_support::decode_unstructured(parsed->header("Subject"));
  ASSERT_TRUE(subject) << subject.error();
  EXPECT_EQ(*subject, kVerification.subject);
  auto body = test_support::decode_quoted_printable(parsed->body);
  ASSERT_TRUE(body) << body.error();
  EXPECT_EQ(lf(*body), kVerification.body);
}

TEST(FileMailer, PythonsStrictEmailParserReadsTheSameMessage) {
  TempDir tmp;
  auto o = options_in(tmp.path() / "mail");
  o.from = "Archon Auth <auth@archon.example>";
  FileMailer mailer(o);
  auto receipt = mailer.deliver(kVerification, 42);
  ASSERT_TRUE(receipt) << receipt.error();
  auto python = test_support::parse_with_python(receipt->location);
  if (!python) GTEST_SKIP() << "python3 is not installed";
  ASSERT_FALSE(python->contains("error")) << python->at("error").as_string();
  EXPECT_EQ(python->at("from").as_string(), "Archon Auth <auth@archon.example>");
  EXPECT_EQ(python->at("to").as_string(), "ada@example.com");
  EXPECT_EQ(python->at("subject").as_string(), kVerification.subject);
  EXPECT_EQ(python->at("date").as_string(), "2026-11-03T10:00:00+00:00");
  EXPECT_EQ(python->at("mime_version").as_string(), "1.0");
  EXPECT_EQ(python->at("content_type").as_string(), "text/plain");
  EXPECT_EQ(python->at("charset").as_string(), "utf-8");
  EXPECT_EQ(python->at("cte").as_string(), "quoted-printable");
  EXPECT_EQ(lf(python->at("body").as_string()), kVerification.body);
}

TEST(FileMailer, WritesAnInternationalizedRecipientAsUtf8) {  // RFC 6532
  TempDir tmp;
  FileMailer mailer(options_in(tmp.path() / "mail"));
  auto receipt = mailer.deliver({"zoë@exämple.com", "Hello", "Hi Zoë\n"}, 3);
  ASSERT_TRUE(receipt) << receipt.error();
  auto parsed = test_support::parse_message(read_file(receipt->location));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->header("To"), "zoë@exämple.com");
  auto python = test_support::parse_with_python(receipt->location);
  if (!python) GTEST_SKIP() << "python3 is not installed";
  ASSERT_FALSE(python->contains("error")) << python->at("error").as_string();
  EXPECT_EQ(python->at("to").as_string(), "zoë@exämple.com");
}

TEST(FileMailer, RefusesHeaderInjectionAndWritesNothing) {
  TempDir tmp;
  FileMailer mailer(options_in(tmp.path() / "mail"));
  const std::vector<store::OutboxMessage> hostile = {
      {"ada@example.com\r\nBcc: eve@evil.example", "Hello", "body"},
      {"ada@example.com\nBcc: eve@evil.example", "Hello", "body"},
      {std::string("ada@example.com\0eve@evil.example", 32), "Hello", "body"},
      {"ada@example.com, eve@evil.example", "Hello", "body"},
      {"Ada <ada@example.com>", "Hello", "body"},
      {"ada@example.com", "Hello\r\nBcc: eve@evil.example", "body"},
      {"ada@example.com", "Hello\rBcc: eve@evil.example", "body"},
      {"ada@example.com", std::string("Hello\0Bcc", 9), "body"},
      {"ada@example.com\xC2\x85" "Bcc: eve@evil.example", "Hello", "body"},  // U+0085 "next line"
      {"ada\xFF@example.com", "Hello", "body"},                            // not UTF-8
  };
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    auto result = mailer.deliver(hostile[i], static_cast<std::int64_t>(i));
    ASSERT_FALSE(result) << "case " << i;
    EXPECT_EQ(result.error().find("evil"), std::string::npos) << "the reason does not echo the value";
  }
  EXPECT_TRUE(files_in(tmp.path() / "mail").empty());
}

TEST(FileMailer, EachDeliveryGetsItsOwnFileAndMessageId) {
  TempDir tmp;
  auto o = options_in(tmp.path() / "mail");
  std::atomic<std::int64_t> millis{kNowMillis};
  o.now = [&] { return std::chrono::system_clock::time_point(std::chrono::milliseconds(millis++)); };
  FileMailer mailer(o);
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {  // the same message again: at-least-once redelivery
    auto receipt = mailer.deliver(kVerification, 9);
    ASSERT_TRUE(receipt) << receipt.error();
    ids.insert(test_support::parse_message(read_file(receipt->location))->header("Message-ID"));
  }
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(files_in(tmp.path() / "mail").size(), 3u);
}

TEST(FileMailer, ConcurrentDeliveriesEachLeaveOneWholeFile) {
  TempDir tmp;
  FileMailer mailer(options_in(tmp.path() / "mail"));
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) EXPECT_TRUE(mailer.deliver(kVerification, t * 100 + i));
    });
  threads.clear();
  auto files = files_in(tmp.path() / "mail");
  ASSERT_EQ(files.size(), 100u);
  for (const auto& f : files) {
    auto parsed = test_support::parse_message(read_file(f));
    ASSERT_TRUE(parsed) << f << ": " << parsed.error();
    EXPECT_EQ(lf(*test_support::decode_quoted_printable(parsed->body)), kVerification.body);
  }
}

TEST(FileMailer, RecreatesARemovedDirectoryAndReportsAnUnusableOne) {
  TempDir tmp;
  auto dir = tmp.path() / "mail";
  FileMailer mailer(options_in(dir));
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(mailer.deliver(kVerification, 1));
  EXPECT_EQ(mode_of(dir), 0700u);

  std::filesystem::remove_all(dir);
  std::ofstream(dir) << "not a directory";
  auto result = mailer.deliver(kVerification, 2);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("not a directory"), std::string::npos) << result.error();
  EXPECT_THROW(FileMailer{options_in(dir)}, std::runtime_error);
}

TEST(FileMailer, RefusesAnUnsafeSenderAtStartUp) {
  TempDir tmp;
  auto o = options_in(tmp.path() / "mail");
  o.from = "x <x@y>\r\nBcc: z@w";
  EXPECT_THROW(FileMailer{o}, std::runtime_error);
  o.from = "";
  EXPECT_THROW(FileMailer{o}, std::runtime_error);
  o.from = "archon-auth <no-reply@archon.local>";
  o.message_id_domain = "exämple.com";
  EXPECT_THROW(FileMailer{o}, std::runtime_error);
  o.message_id_domain = "a>b";
  EXPECT_THROW(FileMailer{o}, std::runtime_error);
}

TEST(FileMailer, RemovesOnlyAbandonedTempFilesAtStartUp) {
  TempDir tmp;
  auto dir = tmp.path() / "mail";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / ".1-1.eml.tmp-AAAAAA") << "From: half";
  std::ofstream(dir / ".2-2.eml.tmp-BBBBBB") << "From: in progress";
  std::ofstream(dir / "3-3.eml") << "a delivered message";
  std::filesystem::last_write_time(dir / ".1-1.eml.tmp-AAAAAA",
                                   std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  FileMailer mailer(options_in(dir));
  EXPECT_EQ(files_in(dir), (std::vector{dir / ".2-2.eml.tmp-BBBBBB", dir / "3-3.eml"}));
}

}  // namespace
}  // namespace archon::mail
