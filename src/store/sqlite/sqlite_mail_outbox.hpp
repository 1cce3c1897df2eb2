// The mail outbox on the embedded SQLite database (table mail_outbox, migration 0002).
// Thread-safe (the database serializes access).
#pragma once
#include "store/mail_outbox_repository.hpp"
#include "store/sqlite/sqlite_database.hpp"

namespace archon::store {

class SqliteMailOutbox final : public MailOutboxRepository {
 public:
  explicit SqliteMailOutbox(SqliteDatabase& db) : db_(db) {}

  // Enqueues in a transaction of its own; the message is due at once.
  std::int64_t enqueue_mail(const OutboxMessage& message, std::int64_t now) override;
  // Enqueues on a connection inside the caller's transaction (SqliteDatabase::transaction),
  // so the mail commits or rolls back with the change that causes it.
  static std::int64_t enqueue_mail_in(sqlite3* db, const OutboxMessage& message, std::int64_t now);

  std::vector<OutboxRow> due_mail(std::int64_t now, int limit) override;
  // Also erases the body: it holds single-use tokens that have no business staying in the
  // database once delivered. Recipient, subject and times stay for support and audit.
  void mark_mail_sent(std::int64_t id, std::int64_t now) override;
  void mark_mail_failed(std::int64_t id, const std::string& error, std::int64_t next_attempt_at) override;

 private:
  SqliteDatabase& db_;
};

}  // namespace archon::store
