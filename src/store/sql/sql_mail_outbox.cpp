#include "store/sql/sql_mail_outbox.hpp"

#include <algorithm>

namespace archon::store {

std::int64_t SqlMailOutbox::enqueue_mail(const OutboxMessage& message, std::int64_t now) {
  return db_.write([&](sql::Connection& c) { return enqueue_mail_in(c, message, now); });
}

std::int64_t SqlMailOutbox::enqueue_mail_in(sql::Connection& c, const OutboxMessage& m, std::int64_t now) {
  static const sql::Sql kInsert(
      "INSERT INTO mail_outbox (recipient, subject, body, created_at, next_attempt_at) "
      "VALUES ($1, $2, $3, $4, $4) RETURNING id");
  return c.query(kInsert, {m.recipient, m.subject, m.body, now}).row(0).int64(0);
}

std::vector<OutboxRow> SqlMailOutbox::due_mail(std::int64_t now, int limit) {
  static const sql::Sql kClaim(
      "UPDATE mail_outbox SET next_attempt_at = $1 + $3 WHERE id IN ("
      "SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 "
      "ORDER BY id LIMIT $2{skip_locked}) "
      "RETURNING id, recipient, subject, body, created_at, attempts");
  static const sql::Sql kRead(
      "SELECT id, recipient, subject, body, created_at, attempts FROM mail_outbox "
      "WHERE sent_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2");
  auto rows_of = [](const sql::Rows& rows) {
    std::vector<OutboxRow> out;
    for (auto row : rows)
      out.push_back({row.int64(0), {row.text(1), row.text(2), row.text(3)}, row.int64(4),
                     static_cast<int>(row.int64(5))});
    return out;
  };
  auto out = lease_seconds_ == 0
                 ? db_.read([&](sql::Connection& c) { return rows_of(c.query(kRead, {now, limit})); })
                 : db_.write([&](sql::Connection& c) { return rows_of(c.query(kClaim, {now, limit, lease_seconds_})); });
  // id order is enqueue order (ids only go up); RETURNING promises no order.
  std::sort(out.begin(), out.end(), [](const OutboxRow& a, const OutboxRow& b) { return a.id < b.id; });
  return out;
}

void SqlMailOutbox::mark_mail_sent(std::int64_t id, std::int64_t now) {
  static const sql::Sql kSent(
      "UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1, body = '', last_error = NULL "
      "WHERE id = $2 AND sent_at IS NULL");
  db_.write([&](sql::Connection& c) { c.query(kSent, {now, id}); });
}

void SqlMailOutbox::release_mail(const std::vector<std::int64_t>& ids, std::int64_t now) {
  static const sql::Sql kRelease("UPDATE mail_outbox SET next_attempt_at = $1 WHERE id = $2 AND sent_at IS NULL");
  if (ids.empty()) return;
  db_.transaction([&](sql::Connection& c) {
    for (auto id : ids) c.query(kRelease, {now, id});
  });
}

void SqlMailOutbox::mark_mail_failed(std::int64_t id, const std::string& error, std::int64_t next_attempt_at) {
  static const sql::Sql kFailed(
      "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 "
      "WHERE id = $3 AND sent_at IS NULL");
  db_.write([&](sql::Connection& c) { c.query(kFailed, {error, next_attempt_at, id}); });
}

}  // namespace archon::store
