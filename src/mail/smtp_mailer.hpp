// A Mailer that hands each message to an SMTP server through libcurl (no hand-written SMTP):
// STARTTLS required by default (or implicit TLS, or plain for a local relay when configured),
// the server's certificate and host name verified against the system's CAs or a configured CA
// file, AUTH when credentials are given. One connection per message: the outbox sends a few
// mails a minute, and a fresh connection never carries a half-broken session into the next.
// deliver() is thread-safe (no shared mutable state).
#pragma once
#include <chrono>
#include <string>

#include "mail/mailer.hpp"

namespace archon::mail {

struct SmtpMailerOptions {
  enum class Security { kStartTls, kImplicitTls, kNone };
  std::string host;
  int port = 587;
  Security security = Security::kStartTls;
  std::string ca_file;  // empty: the system's CAs
  bool verify_certificate = true;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds timeout{30};
  std::string username;  // empty: no AUTH
  std::string password;
  std::string from = "archon-auth <no-reply@archon.local>";  // header; its address is the envelope sender
  std::string message_id_domain = "archon.local";            // Message-ID and the EHLO name
};

class SmtpMailer final : public Mailer {
 public:
  // Throws std::runtime_error (a start-up error) for a sender without one plain address.
  explicit SmtpMailer(SmtpMailerOptions options);
  ~SmtpMailer() override;

  // The receipt names the server ("smtp://host:port"). The error holds curl's reason and the
  // server's reply code, never the body or the credentials.
  DeliveryResult deliver(const store::OutboxMessage& message, std::int64_t message_id) override;

  // "a@b" from "Name <a@b>" or a bare "a@b"; empty when it is not one plain address.
  static std::string envelope_address(const std::string& from);

 private:
  SmtpMailerOptions options_;
  std::string url_;
  std::string envelope_from_;
};

}  // namespace archon::mail
