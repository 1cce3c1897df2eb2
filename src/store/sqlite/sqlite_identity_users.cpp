// SqliteIdentityStore: users, roles, email tokens, mail and login-failure counters.
#include <sqlite3.h>

#include "store/sqlite/sqlite_identity_store.hpp"
#include "store/store_errors.hpp"
#include "store/sqlite/sqlite_mail_outbox.hpp"

namespace archon::store {
namespace {

constexpr const char* kUserColumns =
    "id, email, email_normalized, name, password_hash, email_verified, is_active, marketing_consent, preferences, "
    "created_at, updated_at, last_login";

UserRecord read_user(Statement& st) {
  UserRecord u;
  u.id = st.column_text(0);
  u.email = st.column_text(1);
  u.email_normalized = st.column_text(2);
  u.name = st.column_text(3);
  u.password_hash = st.column_text(4);
  u.email_verified = st.column_int(5) != 0;
  u.is_active = st.column_int(6) != 0;
  u.marketing_consent = st.column_int(7) != 0;
  u.preferences = st.column_text(8);
  u.created_at = st.column_int(9);
  u.updated_at = st.column_int(10);
  if (!st.column_is_null(11)) u.last_login = st.column_int(11);
  return u;
}

void load_roles(sqlite3* db, UserRecord& u) {
  Statement roles(db,
                  "SELECT r.name FROM roles r JOIN user_roles ur ON ur.role_id = r.id WHERE ur.user_id = ? "
                  "ORDER BY r.id");
  roles.bind(1, u.id);
  while (roles.step()) u.roles.push_back(roles.column_text(0));
  Statement perms(db,
                  "SELECT DISTINCT p.name FROM permissions p JOIN role_permissions rp ON rp.permission_id = p.id "
                  "JOIN user_roles ur ON ur.role_id = rp.role_id WHERE ur.user_id = ? ORDER BY p.id");
  perms.bind(1, u.id);
  while (perms.step()) u.permissions.push_back(perms.column_text(0));
}

void set_roles(sqlite3* db, const std::string& user_id, const std::vector<std::string>& roles) {
  Statement(db, "DELETE FROM user_roles WHERE user_id = ?").bind(1, user_id).run();
  for (const auto& role : roles) {
    Statement ins(db, "INSERT INTO user_roles (user_id, role_id) SELECT ?, id FROM roles WHERE name = ?");
    ins.bind(1, user_id).bind(2, role).run();
    if (sqlite3_changes(db) != 1) throw SqliteError(SQLITE_CONSTRAINT, "unknown role " + role);
  }
}

std::int64_t active_admins(sqlite3* db) {
  Statement st(db,
               "SELECT COUNT(*) FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id"
               " WHERE r.name = 'admin' AND u.is_active = 1");
  st.step();
  return st.column_int(0);
}

void insert_mail(sqlite3* db, const OutboxMessage& m, std::int64_t now) { SqliteMailOutbox::enqueue_mail_in(db, m, now); }

void insert_email_token(sqlite3* db, const EmailTokenRecord& t) {
  // A new token supersedes unused older ones of the same purpose.
  Statement(db, "UPDATE email_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL")
      .bind(1, t.created_at)
      .bind(2, t.user_id)
      .bind(3, t.purpose)
      .run();
  Statement(db,
            "INSERT INTO email_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
      .bind_blob(1, t.token_hash)
      .bind(2, t.user_id)
      .bind(3, t.purpose)
      .bind(4, t.created_at)
      .bind(5, t.expires_at)
      .run();
}

// Marks the token used if it is live; returns its user.
std::optional<std::string> consume_token(sqlite3* db, const std::string& hash, const char* purpose, std::int64_t now) {
  Statement st(db,
               "UPDATE email_tokens SET used_at = ? WHERE token_hash = ? AND purpose = ? AND used_at IS NULL "
               "AND expires_at > ? RETURNING user_id");
  st.bind(1, now).bind_blob(2, hash).bind(3, purpose).bind(4, now);
  if (!st.step()) return std::nullopt;
  std::string user_id = st.column_text(0);
  st.run();
  return user_id;
}

std::vector<std::string> revoke_all_sessions(sqlite3* db, const std::string& user_id, const char* reason,
                                             std::int64_t now) {
  std::vector<std::string> ids;
  Statement st(db,
               "UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND revoked_at IS NULL "
               "RETURNING id");
  st.bind(1, now).bind(2, reason).bind(3, user_id);
  while (st.step()) ids.push_back(st.column_text(0));
  return ids;
}

}  // namespace

bool SqliteIdentityStore::create_user(const UserRecord& u, const std::vector<std::string>& roles,
                                      const std::optional<EmailTokenRecord>& token,
                                      const std::optional<OutboxMessage>& mail) {
  bool created = true;
  db_.transaction([&](sqlite3* db) {
    Statement ins(db,
                  "INSERT INTO users (id, email, email_normalized, name, password_hash, email_verified, is_active, "
                  "marketing_consent, terms_accepted_at, preferences, created_at, updated_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, '{}', ?, ?) ON CONFLICT (email_normalized) DO NOTHING");
    ins.bind(1, u.id)
        .bind(2, u.email)
        .bind(3, u.email_normalized)
        .bind(4, u.name)
        .bind(5, u.password_hash)
        .bind(6, std::int64_t{u.email_verified})
        .bind(7, std::int64_t{u.marketing_consent})
        .bind(8, u.created_at)
        .bind(9, u.created_at)
        .bind(10, u.created_at)
        .run();
    if (sqlite3_changes(db) == 0) {
      created = false;
      return;
    }
    set_roles(db, u.id, roles);
    if (token) insert_email_token(db, *token);
    if (mail) insert_mail(db, *mail, u.created_at);
  });
  return created;
}

std::optional<UserRecord> SqliteIdentityStore::find_user_by_email(const std::string& email_normalized) {
  return db_.with_connection([&](sqlite3* db) -> std::optional<UserRecord> {
    Statement st(db, std::string("SELECT ") + kUserColumns + " FROM users WHERE email_normalized = ?");
    st.bind(1, email_normalized);
    if (!st.step()) return std::nullopt;
    UserRecord u = read_user(st);
    load_roles(db, u);
    return u;
  });
}

std::optional<UserRecord> SqliteIdentityStore::find_user_by_id(const std::string& id) {
  return db_.with_connection([&](sqlite3* db) -> std::optional<UserRecord> {
    Statement st(db, std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    UserRecord u = read_user(st);
    load_roles(db, u);
    return u;
  });
}

void SqliteIdentityStore::update_profile(const std::string& user_id, const std::optional<std::string>& name,
                                         const std::optional<std::string>& preferences, std::int64_t now) {
  db_.transaction([&](sqlite3* db) {
    if (name) Statement(db, "UPDATE users SET name = ?, updated_at = ? WHERE id = ?").bind(1, *name).bind(2, now).bind(3, user_id).run();
    if (preferences)
      Statement(db, "UPDATE users SET preferences = ?, updated_at = ? WHERE id = ?")
          .bind(1, *preferences)
          .bind(2, now)
          .bind(3, user_id)
          .run();
  });
}

void SqliteIdentityStore::update_password_hash(const std::string& user_id, const std::string& hash, std::int64_t now) {
  db_.transaction([&](sqlite3* db) {
    Statement(db, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?").bind(1, hash).bind(2, now).bind(3, user_id).run();
  });
}

std::vector<std::string> SqliteIdentityStore::update_user_admin(const std::string& user_id,
                                                                const std::optional<std::string>& name,
                                                                const std::optional<std::vector<std::string>>& roles,
                                                                const std::optional<bool>& is_active, std::int64_t now) {
  std::vector<std::string> revoked;
  db_.transaction([&](sqlite3* db) {
    // SQLite has one writer, so the count before and after cannot interleave with another change.
    bool admin_change = roles || is_active;
    std::int64_t admins_before = admin_change ? active_admins(db) : 0;
    if (name) Statement(db, "UPDATE users SET name = ?, updated_at = ? WHERE id = ?").bind(1, *name).bind(2, now).bind(3, user_id).run();
    if (roles) set_roles(db, user_id, *roles);
    if (is_active) {
      Statement(db, "UPDATE users SET is_active = ?, updated_at = ? WHERE id = ?")
          .bind(1, std::int64_t{*is_active})
          .bind(2, now)
          .bind(3, user_id)
          .run();
      if (!*is_active) revoked = revoke_all_sessions(db, user_id, "deactivated", now);
    }
    if (admin_change && admins_before > 0 && active_admins(db) == 0) throw LastAdminRemoval();
  });
  return revoked;
}

std::pair<std::vector<UserRecord>, std::int64_t> SqliteIdentityStore::list_users(const UserQuery& q) {
  // sort_by comes from an allow-list checked by the caller; map it again here so nothing
  // client-supplied is ever spliced into SQL.
  std::string order = q.sort_by == "email" ? "email_normalized"
                      : q.sort_by == "name" ? "name"
                      : q.sort_by == "last_login" ? "COALESCE(last_login, 0)"
                                                  : "created_at";
  std::string where =
      " WHERE (? = '' OR instr(lower(email), lower(?)) > 0 OR instr(lower(name), lower(?)) > 0)"
      " AND (? IS NULL OR is_active = ?)"
      " AND (? IS NULL OR id IN (SELECT ur.user_id FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.name = ?))";
  auto bind_filters = [&](Statement& st) {
    st.bind(1, q.q).bind(2, q.q).bind(3, q.q);
    if (q.is_active) st.bind(4, std::int64_t{*q.is_active}).bind(5, std::int64_t{*q.is_active});
    else st.bind_null(4).bind_null(5);
    if (q.role) st.bind(6, *q.role).bind(7, *q.role);
    else st.bind_null(6).bind_null(7);
  };
  return db_.with_connection([&](sqlite3* db) {
    Statement count(db, "SELECT COUNT(*) FROM users" + where);
    bind_filters(count);
    count.step();
    std::int64_t total = count.column_int(0);
    Statement st(db, std::string("SELECT ") + kUserColumns + " FROM users" + where + " ORDER BY " + order +
                         (q.descending ? " DESC" : " ASC") + ", id LIMIT ? OFFSET ?");
    bind_filters(st);
    st.bind(8, q.limit).bind(9, (q.page - 1) * q.limit);
    std::vector<UserRecord> out;
    while (st.step()) out.push_back(read_user(st));
    for (auto& u : out) load_roles(db, u);
    return std::make_pair(std::move(out), total);
  });
}

void SqliteIdentityStore::issue_email_token(const EmailTokenRecord& token, const OutboxMessage& mail) {
  db_.transaction([&](sqlite3* db) {
    insert_email_token(db, token);
    insert_mail(db, mail, token.created_at);
  });
}

void SqliteIdentityStore::enqueue_mail(const OutboxMessage& mail, std::int64_t now) {
  db_.transaction([&](sqlite3* db) { insert_mail(db, mail, now); });
}

std::optional<std::string> SqliteIdentityStore::verify_email(const std::string& token_hash, std::int64_t now) {
  std::optional<std::string> user_id;
  db_.transaction([&](sqlite3* db) {
    user_id = consume_token(db, token_hash, "verify_email", now);
    if (user_id)
      Statement(db, "UPDATE users SET email_verified = 1, updated_at = ? WHERE id = ?").bind(1, now).bind(2, *user_id).run();
  });
  return user_id;
}

std::optional<std::pair<std::string, std::vector<std::string>>> SqliteIdentityStore::reset_password(
    const std::string& token_hash, const std::string& new_hash, std::int64_t now) {
  std::optional<std::pair<std::string, std::vector<std::string>>> out;
  db_.transaction([&](sqlite3* db) {
    auto user_id = consume_token(db, token_hash, "password_reset", now);
    if (!user_id) return;
    Statement(db, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?").bind(1, new_hash).bind(2, now).bind(3, *user_id).run();
    auto revoked = revoke_all_sessions(db, *user_id, "password_reset", now);
    Statement(db,
              "DELETE FROM login_failures WHERE email_normalized = (SELECT email_normalized FROM users WHERE id = ?)")
        .bind(1, *user_id)
        .run();
    Statement(db,
              "DELETE FROM login_account_failures WHERE email_normalized = "
              "(SELECT email_normalized FROM users WHERE id = ?)")
        .bind(1, *user_id)
        .run();
    out.emplace(*user_id, std::move(revoked));
  });
  return out;
}

LoginAttempt SqliteIdentityStore::begin_login_attempt(const std::string& email, const std::string& client,
                                                      const LoginLimits& limits, std::int64_t now) {
  LoginAttempt out;
  db_.transaction([&](sqlite3* db) {
    // Account-wide ceiling first (NIST SP 800-63B throttling), across every address.
    std::int64_t window_start = now, failures = 0, account_locked = 0;
    {
      Statement st(db, "SELECT window_start, failures, locked_until FROM login_account_failures WHERE email_normalized = ?");
      st.bind(1, email);
      if (st.step()) {
        window_start = st.column_int(0);
        failures = st.column_int(1);
        account_locked = st.column_int(2);
      }
    }
    if (now - window_start >= limits.account_window_seconds) {
      window_start = now;
      failures = 0;
    }
    std::int64_t consecutive = 0, pair_locked = 0;
    {
      Statement st(db, "SELECT consecutive, locked_until FROM login_failures WHERE email_normalized = ? AND client_address = ?");
      st.bind(1, email).bind(2, client);
      if (st.step()) {
        consecutive = st.column_int(0);
        pair_locked = st.column_int(1);
      }
    }
    if (pair_locked > now || account_locked > now) {
      out.allowed = false;
      out.locked_until = std::max(pair_locked, account_locked);
      return;
    }
    if (pair_locked && pair_locked <= now) consecutive = 0;  // a served lock starts a fresh count
    // Reserve this attempt as a failure; login_succeeded() takes it back.
    ++consecutive;
    ++failures;
    std::int64_t new_pair_lock = consecutive >= limits.pair_failures ? now + limits.pair_lock_seconds : 0;
    std::int64_t new_account_lock = failures >= limits.account_failures ? now + limits.account_lock_seconds : 0;
    Statement(db,
              "INSERT INTO login_failures (email_normalized, client_address, consecutive, locked_until, updated_at) "
              "VALUES (?, ?, ?, ?, ?) ON CONFLICT (email_normalized, client_address) DO UPDATE SET "
              "consecutive = excluded.consecutive, locked_until = excluded.locked_until, updated_at = excluded.updated_at")
        .bind(1, email)
        .bind(2, client)
        .bind(3, consecutive)
        .bind(4, new_pair_lock)
        .bind(5, now)
        .run();
    Statement(db,
              "INSERT INTO login_account_failures (email_normalized, window_start, failures, locked_until) "
              "VALUES (?, ?, ?, ?) ON CONFLICT (email_normalized) DO UPDATE SET window_start = excluded.window_start, "
              "failures = excluded.failures, locked_until = excluded.locked_until")
        .bind(1, email)
        .bind(2, window_start)
        .bind(3, failures)
        .bind(4, new_account_lock)
        .run();
    out.allowed = true;
    out.attempts_remaining = static_cast<int>(std::max<std::int64_t>(0, limits.pair_failures - consecutive));
    out.locked_until = std::max(new_pair_lock, new_account_lock);
  });
  return out;
}

void SqliteIdentityStore::login_succeeded(const std::string& email, const std::string& client) {
  db_.transaction([&](sqlite3* db) {
    Statement(db, "DELETE FROM login_failures WHERE email_normalized = ? AND client_address = ?").bind(1, email).bind(2, client).run();
    Statement(db, "UPDATE login_account_failures SET failures = MAX(failures - 1, 0) WHERE email_normalized = ?")
        .bind(1, email)
        .run();
  });
}

void SqliteIdentityStore::cancel_login_attempt(const std::string& email, const std::string& client) {
  db_.transaction([&](sqlite3* db) {
    Statement(db,
              // A reservation is only made while unlocked, so any lock now is this attempt's own.
              "UPDATE login_failures SET consecutive = MAX(consecutive - 1, 0), locked_until = 0 "
              "WHERE email_normalized = ? AND client_address = ?")
        .bind(1, email)
        .bind(2, client)
        .run();
    Statement(db,
              "UPDATE login_account_failures SET failures = MAX(failures - 1, 0), locked_until = 0 "
              "WHERE email_normalized = ?")
        .bind(1, email)
        .run();
  });
}

}  // namespace archon::store
