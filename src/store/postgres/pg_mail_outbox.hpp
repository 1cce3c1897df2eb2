// The mail outbox on PostgreSQL (table mail_outbox, migration 0002). Thread-safe.
#pragma once
#include "store/mail_outbox_repository.hpp"
#include "store/postgres/pg_database.hpp"

namespace archon::store {

class PgMailOutbox final : public MailOutboxRepository {
 public:
  explicit PgMailOutbox(PgDatabase& db) : db_(db) {}

  // Enqueues in a transaction of its own; the message is due at once.
  std::int64_t enqueue_mail(const OutboxMessage& message, std::int64_t now) override;
  // Enqueues on a connection inside the caller's transaction (PgDatabase::transaction), so
  // the mail commits or rolls back with the change that causes it.
  static std::int64_t enqueue_mail_in(PgConnection& conn, const OutboxMessage& message, std::int64_t now);

  // Claims the rows for kLeaseSeconds: no other instance's worker gets them meanwhile, and if
  // this one dies before marking them they are due again when the lease ends.
  static constexpr std::int64_t kLeaseSeconds = 60;
  std::vector<OutboxRow> due_mail(std::int64_t now, int limit) override;
  // Also erases the body: it holds single-use tokens that have no business staying in the
  // database once delivered. Recipient, subject and times stay for support and audit.
  void mark_mail_sent(std::int64_t id, std::int64_t now) override;
  void release_mail(const std::vector<std::int64_t>& ids, std::int64_t now) override;
  void mark_mail_failed(std::int64_t id, const std::string& error, std::int64_t next_attempt_at) override;

 private:
  PgDatabase& db_;
};

}  // namespace archon::store
