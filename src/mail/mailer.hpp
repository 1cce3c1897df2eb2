// The seam between the outbox and whatever carries mail out: a file per message in the embedded
// default, SMTP later. Implementations must be safe to call from the one outbox worker thread
// while other threads construct or inspect them; each says so in its own header.
#pragma once
#include <cstdint>
#include <string>

#include "core/expected.hpp"
#include "store/mail_outbox_repository.hpp"

namespace archon::mail {

// Where a delivered message went (a file path, later an SMTP queue id), for logs and tests.
// Never holds any part of the body.
struct DeliveryReceipt {
  std::string location;
};

// The error is a one-line reason for logs and the outbox's last_error column: it may name the
// recipient's domain, never the body (bodies carry single-use tokens).
using DeliveryResult = Expected<DeliveryReceipt, std::string>;

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Hands one message over for delivery. `message_id` is the outbox row id: unique per message
  // and stable across retries. A message may be delivered more than once (the outbox is
  // at-least-once), so an implementation needs no dedupe but must not assume it never repeats.
  // Must not throw for delivery problems: they are returned and the outbox retries them.
  virtual DeliveryResult deliver(const store::OutboxMessage& message, std::int64_t message_id) = 0;
};

}  // namespace archon::mail
