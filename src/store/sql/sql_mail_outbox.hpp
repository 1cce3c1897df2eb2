// The durable mail queue, one body of SQL for both backends. Rows are claimed, not just read:
// due_mail pushes next_attempt_at out by kLeaseSeconds (PostgreSQL skips rows another
// instance's worker has locked), so with several instances each message goes out once, and a
// worker that dies leaves its rows due again after the lease. Thread-safe.
#pragma once
#include "store/mail_outbox_repository.hpp"
#include "store/sql/sql.hpp"

namespace archon::store {

class SqlMailOutbox final : public MailOutboxRepository {
 public:
  static constexpr std::int64_t kLeaseSeconds = 60;
  explicit SqlMailOutbox(sql::Database& db) : db_(db) {}

  std::int64_t enqueue_mail(const OutboxMessage& message, std::int64_t now) override;
  std::vector<OutboxRow> due_mail(std::int64_t now, int limit) override;
  void mark_mail_sent(std::int64_t id, std::int64_t now) override;
  void release_mail(const std::vector<std::int64_t>& ids, std::int64_t now) override;
  void mark_mail_failed(std::int64_t id, const std::string& error, std::int64_t next_attempt_at) override;

  // Inside another repository's transaction (mail caused by a change is queued with it).
  static std::int64_t enqueue_mail_in(sql::Connection& c, const OutboxMessage& message, std::int64_t now);

 private:
  sql::Database& db_;
};

}  // namespace archon::store
