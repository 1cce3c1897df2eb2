#include "store/sqlite/sqlite_mail_outbox.hpp"

namespace archon::store {

std::int64_t SqliteMailOutbox::enqueue_mail(const OutboxMessage& message, std::int64_t now) {
  std::int64_t id = 0;
  db_.transaction([&](sqlite3* db) { id = enqueue_mail_in(db, message, now); });
  return id;
}

std::int64_t SqliteMailOutbox::enqueue_mail_in(sqlite3* db, const OutboxMessage& message, std::int64_t now) {
  Statement st(db,
               "INSERT INTO mail_outbox (recipient, subject, body, created_at, next_attempt_at) "
               "VALUES (?, ?, ?, ?, ?) RETURNING id");
  st.bind(1, message.recipient).bind(2, message.subject).bind(3, message.body).bind(4, now).bind(5, now);
  if (!st.step()) throw SqliteError(0, "mail_outbox insert returned no id");
  std::int64_t id = st.column_int(0);
  st.run();  // finish the statement so the row is written before the caller commits
  return id;
}

std::vector<OutboxRow> SqliteMailOutbox::due_mail(std::int64_t now, int limit) {
  return db_.with_connection([&](sqlite3* db) {
    std::vector<OutboxRow> out;
    // id order is enqueue order (AUTOINCREMENT never reuses or goes back).
    Statement st(db,
                 "SELECT id, recipient, subject, body, created_at, attempts FROM mail_outbox "
                 "WHERE sent_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?");
    st.bind(1, now).bind(2, std::int64_t{limit});
    while (st.step()) {
      out.push_back({st.column_int(0), {st.column_text(1), st.column_text(2), st.column_text(3)}, st.column_int(4),
                     static_cast<int>(st.column_int(5))});
    }
    return out;
  });
}

void SqliteMailOutbox::mark_mail_sent(std::int64_t id, std::int64_t now) {
  db_.transaction([&](sqlite3* db) {
    Statement(db,
              "UPDATE mail_outbox SET sent_at = ?, attempts = attempts + 1, body = '', last_error = NULL "
              "WHERE id = ? AND sent_at IS NULL")
        .bind(1, now)
        .bind(2, id)
        .run();
  });
}

void SqliteMailOutbox::mark_mail_failed(std::int64_t id, const std::string& error, std::int64_t next_attempt_at) {
  db_.transaction([&](sqlite3* db) {
    Statement(db,
              "UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
              "WHERE id = ? AND sent_at IS NULL")
        .bind(1, error)
        .bind(2, next_attempt_at)
        .bind(3, id)
        .run();
  });
}

}  // namespace archon::store
