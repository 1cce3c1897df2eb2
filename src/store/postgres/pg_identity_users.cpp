// PgIdentityStore: users, roles, email tokens and mail.
#include "store/postgres/pg_identity_store.hpp"
#include "store/postgres/pg_mail_outbox.hpp"
#include "store/store_errors.hpp"

namespace archon::store {
namespace {

// The user's columns, then their role names and permission names (one statement, so the roles
// always belong to the same snapshot as the row).
constexpr const char* kUserSelect =
    "SELECT u.id, u.email, u.email_normalized, u.name, u.password_hash, u.email_verified, u.is_active, "
    "u.marketing_consent, u.preferences, u.created_at, u.updated_at, u.last_login, "
    "ARRAY(SELECT r.name FROM roles r JOIN user_roles ur ON ur.role_id = r.id WHERE ur.user_id = u.id "
    "ORDER BY r.id), "
    "ARRAY(SELECT p.name FROM permissions p WHERE p.id IN (SELECT rp.permission_id FROM role_permissions rp "
    "JOIN user_roles ur ON ur.role_id = rp.role_id WHERE ur.user_id = u.id) ORDER BY p.id) "
    "FROM users u";

UserRecord read_user(const PgRow& row) {
  UserRecord u;
  u.id = row.text(0);
  u.email = row.text(1);
  u.email_normalized = row.text(2);
  u.name = row.text(3);
  u.password_hash = row.text(4);
  u.email_verified = row.boolean(5);
  u.is_active = row.boolean(6);
  u.marketing_consent = row.boolean(7);
  u.preferences = row.text(8);
  u.created_at = row.int64(9);
  u.updated_at = row.int64(10);
  u.last_login = row.opt_int64(11);
  u.roles = row.text_array(12);
  u.permissions = row.text_array(13);
  return u;
}

// Serializes changes to one user's dependent rows (roles, email tokens) the way SQLite's
// single writer does. NO KEY UPDATE still lets inserts that reference the user proceed.
void lock_user(PgConnection& c, const std::string& user_id) {
  c.query("user_lock", "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE", {user_id});
}

void set_name(PgConnection& c, const std::string& user_id, const std::string& name, std::int64_t now) {
  c.query("user_set_name", "UPDATE users SET name = $1, updated_at = $2 WHERE id = $3", {name, now, user_id});
}

void set_roles(PgConnection& c, const std::string& user_id, const std::vector<std::string>& roles) {
  c.query("user_roles_clear", "DELETE FROM user_roles WHERE user_id = $1", {user_id});
  for (const auto& role : roles) {
    auto r = c.query("user_roles_add",
                     "INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = $2",
                     {user_id, role});
    if (r.affected() != 1) throw PgError("23503", "unknown role " + role);
  }
}

std::int64_t active_admins(PgConnection& c) {
  return c.query("users_active_admins",
                 "SELECT COUNT(*) FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id"
                 " WHERE r.name = 'admin' AND u.is_active",
                 {})
      .row(0)
      .int64(0);
}

void insert_email_token(PgConnection& c, const EmailTokenRecord& t) {
  // A new token supersedes unused older ones of the same purpose.
  c.query("email_token_supersede",
          "UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
          {t.created_at, t.user_id, t.purpose});
  c.query("email_token_insert",
          "INSERT INTO email_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
          {PgParam::bytea(t.token_hash), t.user_id, t.purpose, t.created_at, t.expires_at});
}

// Marks the token used if it is live; returns its user. The row lock makes it single-use even
// when two requests present it at once.
std::optional<std::string> consume_token(PgConnection& c, const std::string& hash, const char* purpose,
                                         std::int64_t now) {
  auto r = c.query("email_token_consume",
                   "UPDATE email_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL "
                   "AND expires_at > $1 RETURNING user_id",
                   {now, PgParam::bytea(hash), purpose});
  if (r.empty()) return std::nullopt;
  return r.row(0).text(0);
}

std::vector<std::string> revoke_all_sessions(PgConnection& c, const std::string& user_id, const char* reason,
                                             std::int64_t now) {
  auto r = c.query("sessions_revoke_all",
                   "WITH revoked AS (UPDATE sessions SET revoked_at = $1, revoke_reason = $2 "
                   "WHERE user_id = $3 AND revoked_at IS NULL RETURNING id, created_at) "
                   "SELECT id FROM revoked ORDER BY created_at, id COLLATE \"C\"",
                   {now, reason, user_id});
  std::vector<std::string> ids;
  for (auto row : r) ids.push_back(row.text(0));
  return ids;
}

std::optional<UserRecord> find_user(PgDatabase& db, const char* name, const std::string& where,
                                    const std::string& value) {
  return db.with_connection([&](PgConnection& c) -> std::optional<UserRecord> {
    auto r = c.query(name, std::string(kUserSelect) + where, {value});
    if (r.empty()) return std::nullopt;
    return read_user(r.row(0));
  });
}

}  // namespace

bool PgIdentityStore::create_user(const UserRecord& u, const std::vector<std::string>& roles,
                                  const std::optional<EmailTokenRecord>& token,
                                  const std::optional<OutboxMessage>& mail) {
  return db_.transaction([&](PgConnection& c) {
    auto ins = c.query("user_insert",
                       "INSERT INTO users (id, email, email_normalized, name, password_hash, email_verified, "
                       "is_active, marketing_consent, terms_accepted_at, preferences, created_at, updated_at) "
                       "VALUES ($1, $2, $3, $4, $5, $6, true, $7, $8, '{}', $8, $8) "
                       "ON CONFLICT (email_normalized) DO NOTHING",
                       {u.id, u.email, u.email_normalized, u.name, u.password_hash, u.email_verified,
                        u.marketing_consent, u.created_at});
    if (ins.affected() == 0) return false;
    set_roles(c, u.id, roles);
    if (token) insert_email_token(c, *token);
    if (mail) PgMailOutbox::enqueue_mail_in(c, *mail, u.created_at);
    return true;
  });
}

std::optional<UserRecord> PgIdentityStore::find_user_by_email(const std::string& email_normalized) {
  return find_user(db_, "user_by_email", " WHERE u.email_normalized = $1", email_normalized);
}

std::optional<UserRecord> PgIdentityStore::find_user_by_id(const std::string& id) {
  return find_user(db_, "user_by_id", " WHERE u.id = $1", id);
}

void PgIdentityStore::update_profile(const std::string& user_id, const std::optional<std::string>& name,
                                     const std::optional<std::string>& preferences, std::int64_t now) {
  db_.transaction([&](PgConnection& c) {
    if (name) set_name(c, user_id, *name, now);
    if (preferences)
      c.query("user_set_preferences", "UPDATE users SET preferences = $1, updated_at = $2 WHERE id = $3",
              {*preferences, now, user_id});
  });
}

void PgIdentityStore::update_password_hash(const std::string& user_id, const std::string& hash, std::int64_t now) {
  db_.with_connection([&](PgConnection& c) {
    c.query("user_set_password", "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
            {hash, now, user_id});
  });
}

std::vector<std::string> PgIdentityStore::update_user_admin(const std::string& user_id,
                                                            const std::optional<std::string>& name,
                                                            const std::optional<std::vector<std::string>>& roles,
                                                            const std::optional<bool>& is_active, std::int64_t now) {
  return db_.transaction([&](PgConnection& c) {
    bool admin_change = roles || is_active;
    // Changes that may remove an administrator run one at a time across all users (a
    // transaction-scoped advisory lock), so two admins demoting each other cannot both pass
    // the count below; SQLite's single writer gives the same.
    if (admin_change) lock_advisory(c, PgLock::kAdminChange);
    std::int64_t admins_before = admin_change ? active_admins(c) : 0;
    lock_user(c, user_id);  // two admins replacing roles at once: one after the other
    if (name) set_name(c, user_id, *name, now);
    if (roles) set_roles(c, user_id, *roles);
    std::vector<std::string> revoked;
    if (is_active) {
      c.query("user_set_active", "UPDATE users SET is_active = $1, updated_at = $2 WHERE id = $3",
              {*is_active, now, user_id});
      if (!*is_active) revoked = revoke_all_sessions(c, user_id, "deactivated", now);
    }
    if (admin_change && admins_before > 0 && active_admins(c) == 0) throw LastAdminRemoval();
    return revoked;
  });
}

std::pair<std::vector<UserRecord>, std::int64_t> PgIdentityStore::list_users(const UserQuery& q) {
  // sort_by comes from an allow-list checked by the caller; map it again here so nothing
  // client-supplied is ever spliced into SQL. COLLATE "C" and lower() under it compare bytes
  // and fold ASCII only, as SQLite does, whatever the database's locale.
  std::string key = q.sort_by == "email" || q.sort_by == "name" || q.sort_by == "last_login" ? q.sort_by : "created_at";
  std::string order = key == "email"        ? "u.email_normalized COLLATE \"C\""
                      : key == "name"       ? "u.name COLLATE \"C\""
                      : key == "last_login" ? "COALESCE(u.last_login, 0)"
                                            : "u.created_at";
  std::string where =
      " WHERE ($1::text = '' OR strpos(lower(u.email COLLATE \"C\"), lower($1 COLLATE \"C\")) > 0"
      " OR strpos(lower(u.name COLLATE \"C\"), lower($1 COLLATE \"C\")) > 0)"
      " AND ($2::boolean IS NULL OR u.is_active = $2)"
      " AND ($3::text IS NULL OR u.id IN (SELECT ur.user_id FROM user_roles ur JOIN roles r ON r.id = ur.role_id "
      "WHERE r.name = $3))";
  std::optional<std::string> active;
  if (q.is_active) active = *q.is_active ? "true" : "false";
  std::vector<PgParam> filters{q.q, active, q.role};
  return db_.snapshot([&](PgConnection& c) {
    std::int64_t total = c.query("users_count", "SELECT COUNT(*) FROM users u" + where, filters).row(0).int64(0);
    std::vector<PgParam> params = filters;
    params.emplace_back(q.limit);
    params.emplace_back((q.page - 1) * q.limit);
    auto r = c.query("users_page_" + key + (q.descending ? "_desc" : "_asc"),
                     std::string(kUserSelect) + where + " ORDER BY " + order + (q.descending ? " DESC" : " ASC") +
                         ", u.id COLLATE \"C\" LIMIT $4 OFFSET $5",
                     params);
    std::vector<UserRecord> out;
    for (auto row : r) out.push_back(read_user(row));
    return std::make_pair(std::move(out), total);
  });
}

void PgIdentityStore::issue_email_token(const EmailTokenRecord& token, const OutboxMessage& mail) {
  db_.transaction([&](PgConnection& c) {
    lock_user(c, token.user_id);  // so of two tokens issued at once, the later supersedes the earlier
    insert_email_token(c, token);
    PgMailOutbox::enqueue_mail_in(c, mail, token.created_at);
  });
}

void PgIdentityStore::enqueue_mail(const OutboxMessage& mail, std::int64_t now) {
  db_.with_connection([&](PgConnection& c) { PgMailOutbox::enqueue_mail_in(c, mail, now); });
}

std::optional<std::string> PgIdentityStore::verify_email(const std::string& token_hash, std::int64_t now) {
  return db_.transaction([&](PgConnection& c) {
    auto user_id = consume_token(c, token_hash, "verify_email", now);
    if (user_id)
      c.query("user_set_verified", "UPDATE users SET email_verified = true, updated_at = $1 WHERE id = $2",
              {now, *user_id});
    return user_id;
  });
}

std::optional<std::pair<std::string, std::vector<std::string>>> PgIdentityStore::reset_password(
    const std::string& token_hash, const std::string& new_hash, std::int64_t now) {
  using Out = std::optional<std::pair<std::string, std::vector<std::string>>>;
  return db_.transaction([&](PgConnection& c) -> Out {
    auto user_id = consume_token(c, token_hash, "password_reset", now);
    if (!user_id) return std::nullopt;
    auto email = c.query("user_reset_password",
                         "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 "
                         "RETURNING email_normalized",
                         {new_hash, now, *user_id});
    auto revoked = revoke_all_sessions(c, *user_id, "password_reset", now);
    if (!email.empty()) {
      std::string e = email.row(0).text(0);
      lock_advisory(c, PgLock::kLogin, e);  // not interleaved with a login attempt's counting
      c.query("login_pair_clear_all", "DELETE FROM login_failures WHERE email_normalized = $1", {e});
      c.query("login_account_clear", "DELETE FROM login_account_failures WHERE email_normalized = $1", {e});
    }
    return std::make_pair(*user_id, std::move(revoked));
  });
}

}  // namespace archon::store
