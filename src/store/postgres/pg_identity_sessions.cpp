// PgIdentityStore: sessions and refresh-token rotation with reuse detection.
#include "store/postgres/pg_identity_store.hpp"

namespace archon::store {
namespace {

constexpr const char* kSessionColumns =
    "id, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, remember_me, client_address, "
    "user_agent, device_info, revoked_at";

SessionRecord read_session(const PgRow& row) {
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

void insert_refresh(PgConnection& c, const RefreshTokenRecord& r) {
  c.query("refresh_insert",
          "INSERT INTO refresh_tokens (token_hash, session_id, parent_hash, created_at, expires_at) "
          "VALUES ($1, $2, $3, $4, $5)",
          {PgParam::bytea(r.token_hash), r.session_id, PgParam::bytea(r.parent_hash), r.created_at, r.expires_at});
}

// Revoked ids in creation order, whatever order the UPDATE happened to visit the rows in.
std::vector<std::string> revoke_where(PgConnection& c, const std::string& name, const std::string& condition,
                                      const std::vector<PgParam>& params) {
  auto r = c.query(name,
                   "WITH revoked AS (UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE " + condition +
                       " AND revoked_at IS NULL RETURNING id, created_at) "
                       "SELECT id FROM revoked ORDER BY created_at, id COLLATE \"C\"",
                   params);
  std::vector<std::string> ids;
  for (auto row : r) ids.push_back(row.text(0));
  return ids;
}

}  // namespace

void PgIdentityStore::create_session(const SessionRecord& s, const RefreshTokenRecord& refresh,
                                     const std::optional<std::string>& new_password_hash) {
  db_.transaction([&](PgConnection& c) {
    c.query("session_insert",
            "INSERT INTO sessions (id, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, "
            "remember_me, client_address, user_agent, device_info) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            {s.id, s.user_id, s.created_at, s.last_seen_at, s.idle_expires_at, s.absolute_expires_at, s.remember_me,
             s.client_address, s.user_agent, s.device_info});
    insert_refresh(c, refresh);
    c.query("user_set_last_login", "UPDATE users SET last_login = $1 WHERE id = $2", {s.created_at, s.user_id});
    if (new_password_hash)
      c.query("user_set_password", "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
              {*new_password_hash, s.created_at, s.user_id});
  });
}

RefreshOutcome PgIdentityStore::rotate_refresh_token(const std::string& presented_hash, const RefreshTokenRecord& child,
                                                     const std::string& sealed_child, std::int64_t now,
                                                     std::int64_t grace_seconds, std::int64_t idle_seconds) {
  return db_.transaction([&](PgConnection& c) {
    RefreshOutcome out;
    auto family = c.query("refresh_family", "SELECT session_id FROM refresh_tokens WHERE token_hash = $1",
                          {PgParam::bytea(presented_hash)});
    if (family.empty()) return out;  // kInvalid: never issued
    // The session row is the family's lock: rotations, grace replays and reuse within one
    // family run one at a time, and each then reads what the one before committed.
    c.query("refresh_lock_family", "SELECT 1 FROM sessions WHERE id = $1 FOR NO KEY UPDATE", {family.row(0).text(0)});
    auto st = c.query("refresh_state",
                      "SELECT t.session_id, t.child_hash, t.child_sealed, t.rotated_at, t.expires_at, s.user_id, "
                      "s.revoked_at, s.idle_expires_at, s.absolute_expires_at, u.is_active "
                      "FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN users u ON u.id = s.user_id "
                      "WHERE t.token_hash = $1",
                      {PgParam::bytea(presented_hash)});
    if (st.empty()) return out;  // deleted with its session or user meanwhile
    PgRow row = st.row(0);
    out.session_id = row.text(0);
    out.user_id = row.text(5);
    out.session_absolute_expires_at = row.int64(8);
    bool rotated = !row.is_null(1);
    std::string child_hash = rotated ? row.bytea(1) : std::string();
    std::string child_sealed = row.is_null(2) ? std::string() : row.bytea(2);
    std::int64_t rotated_at = row.is_null(3) ? 0 : row.int64(3);
    std::int64_t token_expires = row.int64(4);
    bool session_revoked = !row.is_null(6);
    std::int64_t idle_expires = row.int64(7);
    bool active_user = row.boolean(9);

    if (session_revoked || !active_user) {
      out.kind = RefreshOutcome::Kind::kInvalid;
      return out;
    }
    if (now >= idle_expires || now >= out.session_absolute_expires_at || now >= token_expires) {
      out.kind = RefreshOutcome::Kind::kSessionEnded;
      return out;
    }
    if (rotated) {
      // The immediate parent again, within the grace window and while its child is still the
      // newest: a client retrying a lost response. Anything else is replay of a stolen token.
      auto next = c.query("refresh_child_of", "SELECT child_hash FROM refresh_tokens WHERE token_hash = $1",
                          {PgParam::bytea(child_hash)});
      bool child_is_newest = !next.empty() && next.row(0).is_null(0);
      if (now - rotated_at <= grace_seconds && child_is_newest && !child_sealed.empty()) {
        out.kind = RefreshOutcome::Kind::kGraceReplay;
        out.replay_sealed_child = child_sealed;
        return out;
      }
      c.query("session_revoke_reuse",
              "UPDATE sessions SET revoked_at = $1, revoke_reason = 'refresh_reuse' WHERE id = $2",
              {now, out.session_id});
      out.kind = RefreshOutcome::Kind::kReuseDetected;
      return out;
    }
    // Conditional: only the first rotation of this token wins.
    auto upd = c.query("refresh_mark_rotated",
                       "UPDATE refresh_tokens SET child_hash = $1, child_sealed = $2, rotated_at = $3 "
                       "WHERE token_hash = $4 AND child_hash IS NULL",
                       {PgParam::bytea(child.token_hash), PgParam::bytea(sealed_child), now,
                        PgParam::bytea(presented_hash)});
    if (upd.affected() != 1) return out;  // cannot happen under the family lock; refuse if it does
    RefreshTokenRecord next = child;
    next.session_id = out.session_id;
    next.parent_hash = presented_hash;
    next.expires_at = out.session_absolute_expires_at;
    insert_refresh(c, next);
    // Older generations no longer need their sealed successor.
    c.query("refresh_forget_sealed",
            "UPDATE refresh_tokens SET child_sealed = NULL WHERE session_id = $1 AND rotated_at < $2",
            {out.session_id, now - grace_seconds});
    c.query("session_touch",
            "UPDATE sessions SET last_seen_at = $1, idle_expires_at = LEAST($2, absolute_expires_at) WHERE id = $3",
            {now, now + idle_seconds, out.session_id});
    out.kind = RefreshOutcome::Kind::kRotated;
    return out;
  });
}

std::optional<SessionRecord> PgIdentityStore::find_session(const std::string& session_id) {
  return db_.with_connection([&](PgConnection& c) -> std::optional<SessionRecord> {
    auto r = c.query("session_find", std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE id = $1",
                     {session_id});
    if (r.empty()) return std::nullopt;
    return read_session(r.row(0));
  });
}

std::vector<SessionRecord> PgIdentityStore::list_active_sessions(const std::string& user_id, std::int64_t now) {
  return db_.with_connection([&](PgConnection& c) {
    auto r = c.query("sessions_active",
                     std::string("SELECT ") + kSessionColumns +
                         " FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND idle_expires_at > $2 "
                         "AND absolute_expires_at > $2 ORDER BY created_at DESC",
                     {user_id, now});
    std::vector<SessionRecord> out;
    for (auto row : r) out.push_back(read_session(row));
    return out;
  });
}

std::vector<std::string> PgIdentityStore::revoke_sessions(const std::string& user_id, const std::string& scope,
                                                          const std::string& session_id, const std::string& reason,
                                                          std::int64_t now) {
  return db_.with_connection([&](PgConnection& c) {
    if (scope == "local")
      return revoke_where(c, "sessions_revoke_local", "user_id = $3 AND id = $4", {now, reason, user_id, session_id});
    if (scope == "others")
      return revoke_where(c, "sessions_revoke_others", "user_id = $3 AND id <> $4", {now, reason, user_id, session_id});
    return revoke_where(c, "sessions_revoke_user", "user_id = $3", {now, reason, user_id});
  });
}

std::optional<std::string> PgIdentityStore::revoke_session_by_refresh_token(const std::string& token_hash,
                                                                            std::int64_t now) {
  return db_.transaction([&](PgConnection& c) -> std::optional<std::string> {
    auto r = c.query("refresh_family", "SELECT session_id FROM refresh_tokens WHERE token_hash = $1",
                     {PgParam::bytea(token_hash)});
    if (r.empty()) return std::nullopt;
    std::string session_id = r.row(0).text(0);
    c.query("session_revoke_by_token",
            "UPDATE sessions SET revoked_at = $1, revoke_reason = 'token_revoked' WHERE id = $2 AND revoked_at IS NULL",
            {now, session_id});
    return session_id;
  });
}

bool PgIdentityStore::revoke_user_session(const std::string& user_id, const std::string& session_id,
                                          const std::string& reason, std::int64_t now) {
  return db_.with_connection([&](PgConnection& c) {
    auto r = c.query("session_revoke_one",
                     "UPDATE sessions SET revoked_at = $1, revoke_reason = $2 "
                     "WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL",
                     {now, reason, session_id, user_id});
    return r.affected() == 1;
  });
}

}  // namespace archon::store
