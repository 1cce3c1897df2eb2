// The durable queue of outgoing mail. A message is enqueued in the same transaction as the
// change that causes it (by the identity store), then delivered off the request path by the
// outbox worker; a failed delivery is retried, never dropped. Implementations are thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace archon::store {

struct OutboxMessage {
  std::string recipient;  // one address
  std::string subject;    // UTF-8
  std::string body;       // UTF-8 plain text
};

struct OutboxRow {
  std::int64_t id = 0;
  OutboxMessage message;
  std::int64_t created_at = 0;
  int attempts = 0;
};

class MailOutboxRepository {
 public:
  virtual ~MailOutboxRepository() = default;
  virtual std::int64_t enqueue_mail(const OutboxMessage& message, std::int64_t now) = 0;
  // Unsent messages whose next attempt is due, oldest first. A store shared by several
  // instances leases them to the caller (PostgreSQL: 60 s), so each goes out once.
  virtual std::vector<OutboxRow> due_mail(std::int64_t now, int limit) = 0;
  virtual void mark_mail_sent(std::int64_t id, std::int64_t now) = 0;
  // Hands back messages due_mail gave this caller and it will not deliver (it is stopping):
  // due again at `now`. Nothing to do for a store that does not lease.
  virtual void release_mail(const std::vector<std::int64_t>& /*ids*/, std::int64_t /*now*/) {}
  virtual void mark_mail_failed(std::int64_t id, const std::string& error, std::int64_t next_attempt_at) = 0;
};

}  // namespace archon::store
