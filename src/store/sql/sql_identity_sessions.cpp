// SqlIdentityStore: sessions and refresh-token families. The rotation rules (grace window,
// reuse detection, expiry) live in sessions/refresh_rotation.cpp; this reads a family under its
// lock and applies the writes they ask for.
#include <algorithm>
#include <stdexcept>
#include <tuple>

#include "store/sql/sql_identity_store.hpp"

namespace archon::store {
namespace {

#define ARCHON_SESSION_COLUMNS                                                                            \
  "id, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, remember_me, client_address, " \
  "user_agent, device_info, revoked_at"

SessionRecord read_session(const sql::Row& row) {
  SessionRecord s;
  s.id = row.text(0);
  s.user_id = row.text(1);
  s.created_at = row.int64(2);
  s.last_seen_at = row.int64(3);
  s.idle_expires_at = row.int64(4);
  s.absolute_expires_at = row.int64(5);
  s.remember_me = row.boolean(6);
  s.client_address = row.text(7);
  s.user_agent = row.text(8);
  s.device_info = row.text(9);
  s.revoked_at = row.opt_int64(10);
  return s;
}

void insert_refresh(sql::Connection& c, const RefreshTokenRecord& r) {
  static const sql::Sql kInsert(
      "INSERT INTO refresh_tokens (token_hash, session_id, parent_hash, created_at, expires_at) "
      "VALUES ($1, $2, $3, $4, $5)");
  c.query(kInsert, {sql::Value::blob(r.token_hash), r.session_id, sql::Value::blob(r.parent_hash), r.created_at,
                    r.expires_at});
}

// The ids an UPDATE ... RETURNING id, created_at revoked, in creation order (RETURNING
// promises no order).
std::vector<std::string> ids_by_creation(const sql::Rows& rows) {
  std::vector<std::pair<std::int64_t, std::string>> revoked;
  for (auto row : rows) revoked.emplace_back(row.int64(1), row.text(0));
  std::sort(revoked.begin(), revoked.end());
  std::vector<std::string> ids;
  for (auto& r : revoked) ids.push_back(std::move(r.second));
  return ids;
}

RefreshFamilyState read_family(sql::Connection& c, const std::string& presented_hash) {
  static const sql::Sql kFamily("SELECT session_id FROM refresh_tokens WHERE token_hash = $1");
  // The session row is the family's lock: rotations, grace replays and reuse within one family
  // run one at a time, and each then reads what the one before committed.
  static const sql::Sql kLockFamily("SELECT 1 FROM sessions WHERE id = $1{lock_row}");
  static const sql::Sql kState(
      "SELECT t.session_id, t.child_hash, t.child_sealed, t.rotated_at, t.expires_at, s.user_id, s.revoked_at, "
      "s.idle_expires_at, s.absolute_expires_at, u.is_active, "
      "(SELECT n.child_hash IS NULL FROM refresh_tokens n WHERE n.token_hash = t.child_hash) "
      "FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id "
      "WHERE t.token_hash = $1");
  RefreshFamilyState st;
  auto family = c.query(kFamily, {sql::Value::blob(presented_hash)});
  if (family.empty()) return st;  // never issued
  c.query(kLockFamily, {family.row(0).text(0)});
  auto rows = c.query(kState, {sql::Value::blob(presented_hash)});
  if (rows.empty()) return st;  // deleted with its session or user meanwhile
  sql::Row row = rows.row(0);
  st.found = true;
  st.session_id = row.text(0);
  st.rotated = !row.is_null(1);
  st.child_sealed = row.is_null(2) ? std::string() : row.blob(2);
  st.rotated_at = row.opt_int64(3).value_or(0);
  st.token_expires_at = row.int64(4);
  st.user_id = row.text(5);
  st.session_revoked = !row.is_null(6);
  st.idle_expires_at = row.int64(7);
  st.absolute_expires_at = row.int64(8);
  st.user_active = row.boolean(9);
  st.child_is_newest = st.rotated && !row.is_null(10) && row.boolean(10);
  return st;
}

void apply_rotation(sql::Connection& c, const std::string& presented_hash, const RefreshFamilyState& st,
                    const RefreshWrites& w) {
  // Conditional: only the first rotation of a token wins (the family lock makes it so anyway).
  static const sql::Sql kMarkRotated(
      "UPDATE refresh_tokens SET child_hash = $1, child_sealed = $2, rotated_at = $3 "
      "WHERE token_hash = $4 AND child_hash IS NULL");
  static const sql::Sql kForgetSealed(
      "UPDATE refresh_tokens SET child_sealed = NULL WHERE session_id = $1 AND rotated_at < $2");
  static const sql::Sql kTouch(
      "UPDATE sessions SET last_seen_at = $1, idle_expires_at = {least}($2, absolute_expires_at) WHERE id = $3");
  auto marked = c.query(kMarkRotated, {sql::Value::blob(w.child.token_hash), sql::Value::blob(w.sealed_child), w.now,
                                       sql::Value::blob(presented_hash)});
  if (marked.affected() != 1) throw std::logic_error("refresh token rotated twice under its family lock");
  RefreshTokenRecord next = w.child;
  next.session_id = st.session_id;
  next.parent_hash = presented_hash;
  next.expires_at = st.absolute_expires_at;
  insert_refresh(c, next);
  c.query(kForgetSealed, {st.session_id, w.forget_sealed_before});  // older generations need them no more
  c.query(kTouch, {w.now, w.idle_expires_at, st.session_id});
}

}  // namespace

std::vector<std::string> revoke_all_user_sessions(sql::Connection& c, const std::string& user_id,
                                                  const std::string& reason, std::int64_t now) {
  static const sql::Sql kRevoke(
      "UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE user_id = $3 AND revoked_at IS NULL "
      "RETURNING id, created_at");
  return ids_by_creation(c.query(kRevoke, {now, reason, user_id}));
}

void SqlIdentityStore::create_session(const SessionRecord& s, const RefreshTokenRecord& refresh,
                                      const std::optional<std::string>& new_password_hash) {
  static const sql::Sql kInsert(
      "INSERT INTO sessions (id, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, "
      "remember_me, client_address, user_agent, device_info) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
  static const sql::Sql kLastLogin("UPDATE users SET last_login = $1 WHERE id = $2");
  static const sql::Sql kRehash("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3");
  db_.transaction([&](sql::Connection& c) {
    c.query(kInsert, {s.id, s.user_id, s.created_at, s.last_seen_at, s.idle_expires_at, s.absolute_expires_at,
                      s.remember_me, s.client_address, s.user_agent, s.device_info});
    insert_refresh(c, refresh);
    c.query(kLastLogin, {s.created_at, s.user_id});
    if (new_password_hash) c.query(kRehash, {*new_password_hash, s.created_at, s.user_id});
  });
}

void SqlIdentityStore::update_refresh_family(const std::string& presented_hash,
                                             const std::function<RefreshWrites(const RefreshFamilyState&)>& decide) {
  static const sql::Sql kRevokeSession("UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE id = $3");
  db_.transaction([&](sql::Connection& c) {
    RefreshFamilyState st = read_family(c, presented_hash);
    RefreshWrites w = decide(st);
    if (!st.found) return;
    if (w.kind == RefreshWrites::Kind::kRotate) apply_rotation(c, presented_hash, st, w);
    if (w.kind == RefreshWrites::Kind::kRevokeSession) c.query(kRevokeSession, {w.now, w.revoke_reason, st.session_id});
  });
}

std::optional<SessionRecord> SqlIdentityStore::find_session(const std::string& session_id) {
  static const sql::Sql kFind("SELECT " ARCHON_SESSION_COLUMNS " FROM sessions WHERE id = $1");
  return db_.read([&](sql::Connection& c) -> std::optional<SessionRecord> {
    auto r = c.query(kFind, {session_id});
    if (r.empty()) return std::nullopt;
    return read_session(r.row(0));
  });
}

std::vector<SessionRecord> SqlIdentityStore::list_active_sessions(const std::string& user_id, std::int64_t now) {
  static const sql::Sql kActive("SELECT " ARCHON_SESSION_COLUMNS
                                " FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND idle_expires_at > $2 "
                                "AND absolute_expires_at > $2 ORDER BY created_at DESC");
  return db_.read([&](sql::Connection& c) {
    std::vector<SessionRecord> out;
    for (auto row : c.query(kActive, {user_id, now})) out.push_back(read_session(row));
    return out;
  });
}

std::vector<std::string> SqlIdentityStore::revoke_sessions(const std::string& user_id, const std::string& scope,
                                                           const std::string& session_id, const std::string& reason,
                                                           std::int64_t now) {
  static const sql::Sql kLocal(
      "UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE user_id = $3 AND id = $4 "
      "AND revoked_at IS NULL RETURNING id, created_at");
  static const sql::Sql kOthers(
      "UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE user_id = $3 AND id <> $4 "
      "AND revoked_at IS NULL RETURNING id, created_at");
  return db_.write([&](sql::Connection& c) {
    std::vector<std::string> ids;
    if (scope == "local") ids = ids_by_creation(c.query(kLocal, {now, reason, user_id, session_id}));
    else if (scope == "others") ids = ids_by_creation(c.query(kOthers, {now, reason, user_id, session_id}));
    else ids = revoke_all_user_sessions(c, user_id, reason, now);
    if (ids.empty()) EventScope::cancel();  // nothing was revoked
    return ids;
  });
}

std::optional<std::string> SqlIdentityStore::revoke_session_by_refresh_token(const std::string& token_hash,
                                                                             std::int64_t now) {
  static const sql::Sql kFamily("SELECT session_id FROM refresh_tokens WHERE token_hash = $1");
  static const sql::Sql kRevoke(
      "UPDATE sessions SET revoked_at = $1, revoke_reason = 'token_revoked' WHERE id = $2 AND revoked_at IS NULL");
  return db_.transaction([&](sql::Connection& c) -> std::optional<std::string> {
    auto r = c.query(kFamily, {sql::Value::blob(token_hash)});
    if (r.empty()) return std::nullopt;
    std::string session_id = r.row(0).text(0);
    c.query(kRevoke, {now, session_id});
    return session_id;
  });
}

bool SqlIdentityStore::revoke_user_session(const std::string& user_id, const std::string& session_id,
                                           const std::string& reason, std::int64_t now) {
  static const sql::Sql kRevoke(
      "UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL");
  return db_.write([&](sql::Connection& c) {
    bool revoked = c.query(kRevoke, {now, reason, session_id, user_id}).affected() == 1;
    if (!revoked) EventScope::cancel();
    return revoked;
  });
}

#undef ARCHON_SESSION_COLUMNS

}  // namespace archon::store
