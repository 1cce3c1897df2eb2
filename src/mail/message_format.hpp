// RFC 5322 / MIME rendering of one plain-text UTF-8 message: the quoted-printable body, the
// RFC 2047 subject, the date, and the refusal of anything that could inject a header. Shared by
// every Mailer that writes the message itself (the file mailer now, SMTP later). Pure functions;
// thread-safe.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "store/mail_outbox_repository.hpp"

namespace archon::mail {

// True when `text` holds CR, LF or NUL: such a value would end a header line early.
bool has_line_break_or_nul(std::string_view text) noexcept;
// Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;
// One bare addr-spec, local@domain, with no spaces, controls or any of the characters that would
// start a second address, a display name or a comment. ASCII, or UTF-8 as RFC 6532 allows
// (identity accepts internationalized addresses; an SMTP mailer must then speak SMTPUTF8).
bool is_single_address(std::string_view address) noexcept;
// The part after the last '@', for logs (never the local part).
std::string_view address_domain(std::string_view address) noexcept;

// Quoted-printable (RFC 2045 §6.7) with CRLF hard line breaks: LF and CRLF in `text` become
// line breaks, every encoded line is at most 76 characters, trailing whitespace is encoded,
// and a body without a final newline ends in a soft break, so decoding gives `text` back
// exactly up to LF -> CRLF.
std::string quoted_printable_encode(std::string_view text);

// An unstructured header value (after "Name: "): the text itself when it is short printable
// ASCII that no reader could take for an encoded word, otherwise RFC 2047 "=?UTF-8?B?...?="
// words of whole characters, folded with CRLF SP so no line exceeds 78 characters.
// `text` must be valid UTF-8 without CR, LF or NUL.
std::string unstructured_header_value(std::string_view text);

// "Tue, 03 Nov 2026 10:00:00 +0000" (RFC 5322 §3.3), always UTC, independent of the locale.
std::string rfc5322_date(std::chrono::system_clock::time_point t);

struct MessageHeaders {
  std::string from;        // a complete mailbox, e.g. "archon-auth <no-reply@archon.local>"
  std::string date;        // rfc5322_date(...)
  std::string message_id;  // with angle brackets: "<...@archon.local>"
};

// The whole message, CRLF throughout, or why it was refused: a recipient that is not one plain
// address, a subject or body that is not UTF-8, or CR/LF/NUL in any header value.
Expected<std::string, std::string> compose_message(const store::OutboxMessage& message,
                                                   const MessageHeaders& headers);

}  // namespace archon::mail
