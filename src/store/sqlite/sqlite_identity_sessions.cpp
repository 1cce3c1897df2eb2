// SqliteIdentityStore: sessions and refresh-token rotation with reuse detection.
#include <sqlite3.h>

#include "store/sqlite/sqlite_identity_store.hpp"

namespace archon::store {
namespace {

constexpr const char* kSessionColumns =
    "id, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, remember_me, client_address, "
    "user_agent, device_info, revoked_at";

SessionRecord read_session(Statement& st) {
  SessionRecord s;
  s.id = st.column_text(0);
  s.user_id = st.column_text(1);
  s.created_at = st.column_int(2);
  s.last_seen_at = st.column_int(3);
  s.idle_expires_at = st.column_int(4);
  s.absolute_expires_at = st.column_int(5);
  s.remember_me = st.column_int(6) != 0;
  s.client_address = st.column_text(7);
  s.user_agent = st.column_text(8);
  s.device_info = st.column_text(9);
  if (!st.column_is_null(10)) s.revoked_at = st.column_int(10);
  return s;
}

void insert_refresh(sqlite3* db, const RefreshTokenRecord& r) {
  Statement st(db,
               "INSERT INTO refresh_tokens (token_hash, session_id, parent_hash, created_at, expires_at) "
               "VALUES (?, ?, ?, ?, ?)");
  st.bind_blob(1, r.token_hash).bind(2, r.session_id);
  if (r.parent_hash) st.bind_blob(3, *r.parent_hash);
  else st.bind_null(3);
  st.bind(4, r.created_at).bind(5, r.expires_at).run();
}

}  // namespace

void SqliteIdentityStore::create_session(const SessionRecord& s, const RefreshTokenRecord& refresh,
                                         const std::optional<std::string>& new_password_hash) {
  db_.transaction([&](sqlite3* db) {
    Statement(db,
              "INSERT INTO sessions (id, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, "
              "remember_me, client_address, user_agent, device_info) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, s.id)
        .bind(2, s.user_id)
        .bind(3, s.created_at)
        .bind(4, s.last_seen_at)
        .bind(5, s.idle_expires_at)
        .bind(6, s.absolute_expires_at)
        .bind(7, std::int64_t{s.remember_me})
        .bind(8, s.client_address)
        .bind(9, s.user_agent)
        .bind(10, s.device_info)
        .run();
    insert_refresh(db, refresh);
    Statement(db, "UPDATE users SET last_login = ? WHERE id = ?").bind(1, s.created_at).bind(2, s.user_id).run();
    if (new_password_hash)
      Statement(db, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?")
          .bind(1, *new_password_hash)
          .bind(2, s.created_at)
          .bind(3, s.user_id)
          .run();
  });
}

RefreshOutcome SqliteIdentityStore::rotate_refresh_token(const std::string& presented_hash,
                                                         const RefreshTokenRecord& child,
                                                         const std::string& sealed_child, std::int64_t now,
                                                         std::int64_t grace_seconds, std::int64_t idle_seconds) {
  RefreshOutcome out;
  db_.transaction([&](sqlite3* db) {
    Statement st(db,
                 "SELECT t.session_id, t.child_hash, t.child_sealed, t.rotated_at, t.expires_at, s.user_id, "
                 "s.revoked_at, s.idle_expires_at, s.absolute_expires_at, u.is_active "
                 "FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id "
                 "WHERE t.token_hash = ?");
    st.bind_blob(1, presented_hash);
    if (!st.step()) return;  // kInvalid: never issued
    out.session_id = st.column_text(0);
    out.user_id = st.column_text(5);
    out.session_absolute_expires_at = st.column_int(8);
    bool rotated = !st.column_is_null(1);
    std::string child_hash = st.column_blob(1), child_sealed = st.column_blob(2);
    std::int64_t rotated_at = st.column_is_null(3) ? 0 : st.column_int(3);
    std::int64_t token_expires = st.column_int(4);
    bool session_revoked = !st.column_is_null(6);
    std::int64_t idle_expires = st.column_int(7);
    bool active_user = st.column_int(9) != 0;

    if (session_revoked || !active_user) {
      out.kind = RefreshOutcome::Kind::kInvalid;
      return;
    }
    if (now >= idle_expires || now >= out.session_absolute_expires_at || now >= token_expires) {
      out.kind = RefreshOutcome::Kind::kSessionEnded;
      return;
    }
    if (rotated) {
      // The immediate parent again, within the grace window and while its child is still the
      // newest: a client retrying a lost response. Anything else is replay of a stolen token.
      Statement c(db, "SELECT child_hash FROM refresh_tokens WHERE token_hash = ?");
      c.bind_blob(1, child_hash);
      bool child_is_newest = c.step() && c.column_is_null(0);
      if (now - rotated_at <= grace_seconds && child_is_newest && !child_sealed.empty()) {
        out.kind = RefreshOutcome::Kind::kGraceReplay;
        out.replay_sealed_child = child_sealed;
        return;
      }
      Statement(db, "UPDATE sessions SET revoked_at = ?, revoke_reason = 'refresh_reuse' WHERE id = ?")
          .bind(1, now)
          .bind(2, out.session_id)
          .run();
      out.kind = RefreshOutcome::Kind::kReuseDetected;
      return;
    }
    // Conditional: only the first rotation of this token wins.
    Statement upd(db,
                  "UPDATE refresh_tokens SET child_hash = ?, child_sealed = ?, rotated_at = ? "
                  "WHERE token_hash = ? AND child_hash IS NULL");
    upd.bind_blob(1, child.token_hash).bind_blob(2, sealed_child).bind(3, now).bind_blob(4, presented_hash).run();
    if (sqlite3_changes(db) != 1) return;  // cannot happen under BEGIN IMMEDIATE; refuse if it does
    RefreshTokenRecord next = child;
    next.session_id = out.session_id;
    next.parent_hash = presented_hash;
    next.expires_at = out.session_absolute_expires_at;
    insert_refresh(db, next);
    // Older generations no longer need their sealed successor.
    Statement(db, "UPDATE refresh_tokens SET child_sealed = NULL WHERE session_id = ? AND rotated_at < ?")
        .bind(1, out.session_id)
        .bind(2, now - grace_seconds)
        .run();
    Statement(db, "UPDATE sessions SET last_seen_at = ?, idle_expires_at = MIN(?, absolute_expires_at) WHERE id = ?")
        .bind(1, now)
        .bind(2, now + idle_seconds)
        .bind(3, out.session_id)
        .run();
    out.kind = RefreshOutcome::Kind::kRotated;
  });
  return out;
}

std::optional<SessionRecord> SqliteIdentityStore::find_session(const std::string& session_id) {
  return db_.with_connection([&](sqlite3* db) -> std::optional<SessionRecord> {
    Statement st(db, std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE id = ?");
    st.bind(1, session_id);
    if (!st.step()) return std::nullopt;
    return read_session(st);
  });
}

std::vector<SessionRecord> SqliteIdentityStore::list_active_sessions(const std::string& user_id, std::int64_t now) {
  return db_.with_connection([&](sqlite3* db) {
    Statement st(db, std::string("SELECT ") + kSessionColumns +
                         " FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND idle_expires_at > ? "
                         "AND absolute_expires_at > ? ORDER BY created_at DESC");
    st.bind(1, user_id).bind(2, now).bind(3, now);
    std::vector<SessionRecord> out;
    while (st.step()) out.push_back(read_session(st));
    return out;
  });
}

std::vector<std::string> SqliteIdentityStore::revoke_sessions(const std::string& user_id, const std::string& scope,
                                                              const std::string& session_id, const std::string& reason,
                                                              std::int64_t now) {
  std::vector<std::string> ids;
  db_.transaction([&](sqlite3* db) {
    std::string sql = "UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL";
    if (scope == "local") sql += " AND id = ?";
    else if (scope == "others") sql += " AND id <> ?";
    sql += " RETURNING id";
    Statement st(db, sql);
    st.bind(1, now).bind(2, reason).bind(3, user_id);
    if (scope == "local" || scope == "others") st.bind(4, session_id);
    while (st.step()) ids.push_back(st.column_text(0));
  });
  return ids;
}

std::optional<std::string> SqliteIdentityStore::revoke_session_by_refresh_token(const std::string& token_hash,
                                                                                std::int64_t now) {
  std::optional<std::string> session_id;
  db_.transaction([&](sqlite3* db) {
    Statement st(db, "SELECT session_id FROM refresh_tokens WHERE token_hash = ?");
    st.bind_blob(1, token_hash);
    if (!st.step()) return;
    session_id = st.column_text(0);
    Statement(db, "UPDATE sessions SET revoked_at = ?, revoke_reason = 'token_revoked' WHERE id = ? AND revoked_at IS NULL")
        .bind(1, now)
        .bind(2, *session_id)
        .run();
  });
  return session_id;
}

bool SqliteIdentityStore::revoke_user_session(const std::string& user_id, const std::string& session_id,
                                              const std::string& reason, std::int64_t now) {
  bool revoked = false;
  db_.transaction([&](sqlite3* db) {
    Statement(db,
              "UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL")
        .bind(1, now)
        .bind(2, reason)
        .bind(3, session_id)
        .bind(4, user_id)
        .run();
    revoked = sqlite3_changes(db) == 1;
  });
  return revoked;
}

}  // namespace archon::store
