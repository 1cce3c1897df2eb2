#include "store/postgres/pg_mail_outbox.hpp"

#include <algorithm>

namespace archon::store {

std::int64_t PgMailOutbox::enqueue_mail(const OutboxMessage& message, std::int64_t now) {
  return db_.transaction([&](PgConnection& c) { return enqueue_mail_in(c, message, now); });
}

std::int64_t PgMailOutbox::enqueue_mail_in(PgConnection& c, const OutboxMessage& m, std::int64_t now) {
  auto r = c.query("outbox_insert",
                   "INSERT INTO mail_outbox (recipient, subject, body, created_at, next_attempt_at) "
                   "VALUES ($1, $2, $3, $4, $4) RETURNING id",
                   {m.recipient, m.subject, m.body, now});
  return r.row(0).int64(0);
}

std::vector<OutboxRow> PgMailOutbox::due_mail(std::int64_t now, int limit) {
  return db_.with_connection([&](PgConnection& c) {
    // Several instances run an outbox worker each: the rows are claimed, not just read. SKIP
    // LOCKED keeps two workers from taking the same row, and pushing next_attempt_at out is
    // the lease: a worker that dies before marking its rows leaves them due again after it.
    auto r = c.query("outbox_claim",
                     "UPDATE mail_outbox SET next_attempt_at = $1 + $3 WHERE id IN ("
                     "SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 "
                     "ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) "
                     "RETURNING id, recipient, subject, body, created_at, attempts",
                     {now, limit, kLeaseSeconds});
    std::vector<OutboxRow> out;
    for (auto row : r)
      out.push_back({row.int64(0), {row.text(1), row.text(2), row.text(3)}, row.int64(4),
                     static_cast<int>(row.int64(5))});
    // id order is enqueue order (the identity only goes up); RETURNING promises no order.
    std::sort(out.begin(), out.end(), [](const OutboxRow& a, const OutboxRow& b) { return a.id < b.id; });
    return out;
  });
}

void PgMailOutbox::mark_mail_sent(std::int64_t id, std::int64_t now) {
  db_.with_connection([&](PgConnection& c) {
    c.query("outbox_sent",
            "UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1, body = '', last_error = NULL "
            "WHERE id = $2 AND sent_at IS NULL",
            {now, id});
  });
}

void PgMailOutbox::release_mail(const std::vector<std::int64_t>& ids, std::int64_t now) {
  db_.with_connection([&](PgConnection& c) {
    for (auto id : ids)
      c.query("outbox_release", "UPDATE mail_outbox SET next_attempt_at = $1 WHERE id = $2 AND sent_at IS NULL",
              {now, id});
  });
}

void PgMailOutbox::mark_mail_failed(std::int64_t id, const std::string& error, std::int64_t next_attempt_at) {
  db_.with_connection([&](PgConnection& c) {
    c.query("outbox_failed",
            "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 "
            "WHERE id = $3 AND sent_at IS NULL",
            {error, next_attempt_at, id});
  });
}

}  // namespace archon::store
