// The embedded default's Mailer: each message becomes one RFC 5322 file under a directory
// (<data-dir>/mail/), so a person or a test can open it. Files appear atomically and durably.
// deliver() is thread-safe (no shared mutable state).
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "mail/mailer.hpp"

namespace archon::mail {

struct FileMailerOptions {
  std::filesystem::path directory;  // created 0700 (with its parents) if missing
  std::string from = "archon-auth <no-reply@archon.local>";
  std::string message_id_domain = "archon.local";
  // Stamps the Date header and the file name; defaults to the system clock. For tests.
  std::function<std::chrono::system_clock::time_point()> now;
};

class FileMailer final : public Mailer {
 public:
  // Creates the directory if needed. Throws std::runtime_error (a start-up error) when it
  // cannot, or when `from` is not a printable-ASCII header value.
  explicit FileMailer(FileMailerOptions options);

  // Writes "<epoch-millis>-<message id>.eml" (mode 0600): a hidden temp file in the same
  // directory is written, fsynced and renamed into place, then the directory is fsynced, so a
  // reader never sees a partial file and a crash leaves the whole file or none. A message
  // that could inject a header (CR/LF/NUL, more than one recipient) is refused, never written.
  // The receipt's location is the file's path.
  DeliveryResult deliver(const store::OutboxMessage& message, std::int64_t message_id) override;

  const std::filesystem::path& directory() const noexcept { return options_.directory; }

 private:
  FileMailerOptions options_;
};

}  // namespace archon::mail
