#include "mail/message_format.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <openssl/evp.h>

namespace archon::mail {
namespace {

constexpr std::size_t kMaxEncodedLine = 76;  // RFC 2045 §6.7 rule 5, without the CRLF
// 39 bytes -> 52 base64 characters -> a 64-character encoded word: "Subject: " plus one word
// stays within RFC 5322's 78, and a word is far below RFC 2047's 75-character limit.
constexpr std::size_t kEncodedWordBytes = 39;
constexpr std::size_t kMaxPlainSubject = 78 - sizeof("Subject: ") + 1;

constexpr char kHex[] = "0123456789ABCDEF";

std::size_t utf8_sequence_length(unsigned char lead) noexcept {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;  // continuation byte, overlong lead (C0, C1) or beyond U+10FFFF
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool is_plain_ascii_text(std::string_view text) noexcept {
  for (unsigned char c : text)
    if (c < 0x20 || c > 0x7E) return false;
  return true;
}

}  // namespace

bool has_line_break_or_nul(std::string_view text) noexcept {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool is_valid_utf8(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size();) {
    auto lead = static_cast<unsigned char>(text[i]);
    std::size_t len = utf8_sequence_length(lead);
    if (len == 0 || i + len > text.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    if (len >= 3) {
      auto second = static_cast<unsigned char>(text[i + 1]);
      if (lead == 0xE0 && second < 0xA0) return false;  // overlong
      if (lead == 0xED && second > 0x9F) return false;  // UTF-16 surrogate
      if (lead == 0xF0 && second < 0x90) return false;  // overlong
      if (lead == 0xF4 && second > 0x8F) return false;  // above U+10FFFF
    }
    i += len;
  }
  return true;
}

bool is_single_address(std::string_view address) noexcept {
  if (address.size() > 254) return false;  // RFC 5321 path limit
  std::size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == address.size()) return false;
  if (address.find('@', at + 1) != std::string_view::npos) return false;
  for (unsigned char c : address) {
    if (c <= 0x20 || c == 0x7F) return false;  // controls and space
    if (std::string_view("<>()[]\\,;:\"").find(static_cast<char>(c)) != std::string_view::npos) return false;
  }
  if (!is_valid_utf8(address)) return false;
  // Internationalized addresses (RFC 6532) are UTF-8, but C1 controls (U+0080..U+009F) are not
  // text. In valid UTF-8 0xC2 is always a lead byte, so the next byte exists.
  for (std::size_t i = 0; i < address.size(); ++i)
    if (static_cast<unsigned char>(address[i]) == 0xC2 && static_cast<unsigned char>(address[i + 1]) <= 0x9F)
      return false;
  return true;
}

std::string_view address_domain(std::string_view address) noexcept {
  std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

std::string quoted_printable_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  std::size_t line_length = 0;
  // A line that goes on after this token needs room for the soft break's '='.
  auto put = [&](std::string_view token, bool ends_line) {
    std::size_t limit = ends_line ? kMaxEncodedLine : kMaxEncodedLine - 1;
    if (line_length + token.size() > limit) {
      out += "=\r\n";
      line_length = 0;
    }
    out += token;
    line_length += token.size();
  };
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t newline = text.find('\n', start);
    bool hard_break = newline != std::string_view::npos;
    std::size_t end = hard_break ? newline : text.size();
    std::size_t content_end = (hard_break && end > start && text[end - 1] == '\r') ? end - 1 : end;
    for (std::size_t i = start; i < content_end; ++i) {
      auto c = static_cast<unsigned char>(text[i]);
      bool last_on_line = i + 1 == content_end;
      // Whitespace at the end of a line is encoded: transports may strip it (rule 3).
      bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last_on_line);
      char escaped[3] = {'=', kHex[c >> 4], kHex[c & 0x0F]};
      put(literal ? std::string_view(&text[i], 1) : std::string_view(escaped, 3), last_on_line && hard_break);
    }
    if (hard_break) {
      out += "\r\n";
      start = newline + 1;
    } else {
      out += "=\r\n";  // the message still ends in CRLF, the decoded text gains no newline
      start = text.size();
    }
    line_length = 0;
  }
  return out;
}

std::string unstructured_header_value(std::string_view text) {
  bool plain = text.size() <= kMaxPlainSubject && is_plain_ascii_text(text) &&
               text.find("=?") == std::string_view::npos && text.find("  ") == std::string_view::npos &&
               (text.empty() || (text.front() != ' ' && text.back() != ' '));
  if (plain) return std::string(text);
  std::string out;
  for (std::size_t start = 0; start < text.size();) {
    // Whole characters only (RFC 2047 §5): back off to a lead byte.
    std::size_t end = std::min(text.size(), start + kEncodedWordBytes);
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(text.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

Expected<std::string, std::string> compose_message(const store::OutboxMessage& message,
                                                   const MessageHeaders& headers) {
  // Checked here, where the header is written, whatever the callers validated before.
  if (has_line_break_or_nul(message.recipient) || !is_single_address(message.recipient))
    return Unexpected{std::string("recipient is not one plain address")};
  if (has_line_break_or_nul(message.subject)) return Unexpected{std::string("subject contains CR, LF or NUL")};
  if (!is_valid_utf8(message.subject)) return Unexpected{std::string("subject is not valid UTF-8")};
  if (!is_valid_utf8(message.body)) return Unexpected{std::string("body is not valid UTF-8")};
  for (const std::string* value : {&headers.from, &headers.date, &headers.message_id})
    if (has_line_break_or_nul(*value) || !is_plain_ascii_text(*value))
      return Unexpected{std::string("a generated header is not printable ASCII")};

  std::string subject = unstructured_header_value(message.subject);
  std::string out;
  out.reserve(message.body.size() * 5 / 4 + 512);
  out += "From: " + headers.from + "\r\n";
  out += "To: " + message.recipient + "\r\n";
  out += subject.empty() ? "Subject:\r\n" : "Subject: " + subject + "\r\n";
  out += "Date: " + headers.date + "\r\n";
  out += "Message-ID: " + headers.message_id + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  out += "\r\n";
  out += quoted_printable_encode(message.body);
  return out;
}

}  // namespace archon::mail
