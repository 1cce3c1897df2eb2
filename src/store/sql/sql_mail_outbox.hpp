// The durable mail queue, one body of SQL for both backends. On a database several instances
// share (PostgreSQL), rows are claimed, not just read: due_mail pushes next_attempt_at out by
// the lease (skipping rows another instance's worker has locked), so each message goes out once,
// and a worker that dies leaves its rows due again after the lease. The embedded database has
// one instance, whose single worker is the only reader: it takes no lease, so a mail a killed
// server had read is due again the moment it restarts. Thread-safe.
#pragma once
#include "store/mail_outbox_repository.hpp"
#include "store/sql/sql.hpp"

namespace archon::store {

class SqlMailOutbox final : public MailOutboxRepository {
 public:
  static constexpr std::int64_t kLeaseSeconds = 60;  // on a shared database
  SqlMailOutbox(sql::Database& db, std::int64_t lease_seconds) : db_(db), lease_seconds_(lease_seconds) {}

  std::int64_t enqueue_mail(const OutboxMessage& message, std::int64_t now) override;
  std::vector<OutboxRow> due_mail(std::int64_t now, int limit) override;
  void mark_mail_sent(std::int64_t id, std::int64_t now) override;
  void release_mail(const std::vector<std::int64_t>& ids, std::int64_t now) override;
  void mark_mail_failed(std::int64_t id, const std::string& error, std::int64_t next_attempt_at) override;

  // Inside another repository's transaction (mail caused by a change is queued with it).
  static std::int64_t enqueue_mail_in(sql::Connection& c, const OutboxMessage& message, std::int64_t now);

 private:
  sql::Database& db_;
  std::int64_t lease_seconds_;  // 0: rows are read, not claimed
};

}  // namespace archon::store
