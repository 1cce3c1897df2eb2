#include "mail/smtp_mailer.hpp"

#include <cstring>
#include <memory>
#include <stdexcept>

#include <curl/curl.h>

#include "mail/message_format.hpp"
#include "mail/message_nonce.hpp"
#include "net/curl_global.hpp"

namespace archon::mail {
namespace {

// The message text, handed to curl in pieces as it asks.
struct Upload {
  std::string_view rest;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  std::size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest.remove_prefix(n);
  return n;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

std::string SmtpMailer::envelope_address(const std::string& from) {
  auto open = from.rfind('<');
  std::string address = from;
  if (open != std::string::npos) {
    auto close = from.find('>', open);
    if (close == std::string::npos || close != from.size() - 1) return {};
    address = from.substr(open + 1, close - open - 1);
  }
  return is_single_address(address) ? address : std::string();
}

SmtpMailer::SmtpMailer(SmtpMailerOptions options) : options_(std::move(options)) {
  net::ensure_curl_initialized();
  envelope_from_ = envelope_address(options_.from);
  if (envelope_from_.empty()) throw std::runtime_error("mail sender must hold one plain address");
  bool v6 = options_.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + options_.host + "]" : options_.host;
  const char* scheme = options_.security == SmtpMailerOptions::Security::kImplicitTls ? "smtps://" : "smtp://";
  // The path is the name curl announces in EHLO.
  url_ = scheme + host + ":" + std::to_string(options_.port) + "/" + options_.message_id_domain;
}

SmtpMailer::~SmtpMailer() = default;

DeliveryResult SmtpMailer::deliver(const store::OutboxMessage& message, std::int64_t message_id) {
  auto now = std::chrono::system_clock::now();
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  auto nonce = message_nonce();
  if (!nonce) return Unexpected{nonce.error()};
  MessageHeaders headers{options_.from, rfc5322_date(now),
                         "<" + std::to_string(millis) + "." + std::to_string(message_id) + "." + *nonce + "@" +
                             options_.message_id_domain + ">"};
  auto text = compose_message(message, headers);
  if (!text) return Unexpected{text.error()};

  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Unexpected{std::string("libcurl: cannot create a handle")};
  CURL* c = curl.get();
  std::unique_ptr<curl_slist, SlistDeleter> rcpt(curl_slist_append(nullptr, ("<" + message.recipient + ">").c_str()));
  Upload upload{*text};
  char error[CURL_ERROR_SIZE] = {0};
  std::string mail_from = "<" + envelope_from_ + ">";
  curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count() * 1000));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count() * 1000));
  curl_easy_setopt(c, CURLOPT_USE_SSL,
                   options_.security == SmtpMailerOptions::Security::kNone ? CURLUSESSL_NONE : CURLUSESSL_ALL);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.verify_certificate ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.verify_certificate ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);

  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    long reply = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
    std::string reason = error[0] ? error : curl_easy_strerror(rc);
    if (reply) reason += " (SMTP " + std::to_string(reply) + ")";
    return Unexpected{"smtp " + options_.host + ":" + std::to_string(options_.port) + ": " + reason};
  }
  return DeliveryReceipt{"smtp://" + options_.host + ":" + std::to_string(options_.port)};
}

}  // namespace archon::mail
