// SqlIdentityStore: users, roles, email tokens and mail.
#include <stdexcept>

#include "store/sql/sql_identity_store.hpp"
#include "store/sql/sql_mail_outbox.hpp"
#include "store/store_errors.hpp"

namespace archon::store {
namespace {

#define ARCHON_USER_SELECT                                                                                 \
  "SELECT u.id, u.email, u.email_normalized, u.name, u.password_hash, u.email_verified, u.is_active, "     \
  "u.marketing_consent, u.preferences, u.created_at, u.updated_at, u.last_login FROM users u"

UserRecord read_user(const sql::Row& row) {
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
  return u;
}

// Role and permission names, in id order (read in the caller's unit of work, so they belong
// to the same state as the row where the caller needs that).
void load_roles(sql::Connection& c, UserRecord& u) {
  static const sql::Sql kRoles(
      "SELECT r.name FROM roles r JOIN user_roles ur ON ur.role_id = r.id WHERE ur.user_id = $1 ORDER BY r.id");
  static const sql::Sql kPermissions(
      "SELECT p.name FROM permissions p WHERE p.id IN (SELECT rp.permission_id FROM role_permissions rp "
      "JOIN user_roles ur ON ur.role_id = rp.role_id WHERE ur.user_id = $1) ORDER BY p.id");
  for (auto row : c.query(kRoles, {u.id})) u.roles.push_back(row.text(0));
  for (auto row : c.query(kPermissions, {u.id})) u.permissions.push_back(row.text(0));
}

// Serializes changes to one user's dependent rows (roles, email tokens); NO KEY UPDATE still
// lets inserts that reference the user proceed. SQLite's single writer needs nothing.
void lock_user(sql::Connection& c, const std::string& user_id) {
  static const sql::Sql kLock("SELECT 1 FROM users WHERE id = $1{lock_row}");
  c.query(kLock, {user_id});
}

void set_name(sql::Connection& c, const std::string& user_id, const std::string& name, std::int64_t now) {
  static const sql::Sql kSet("UPDATE users SET name = $1, updated_at = $2 WHERE id = $3");
  c.query(kSet, {name, now, user_id});
}

void set_roles(sql::Connection& c, const std::string& user_id, const std::vector<std::string>& roles) {
  static const sql::Sql kClear("DELETE FROM user_roles WHERE user_id = $1");
  static const sql::Sql kAdd("INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = $2");
  c.query(kClear, {user_id});
  for (const auto& role : roles)
    if (c.query(kAdd, {user_id, role}).affected() != 1) throw std::invalid_argument("unknown role " + role);
}

std::int64_t active_admins(sql::Connection& c) {
  static const sql::Sql kCount(
      "SELECT COUNT(*) FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id "
      "WHERE r.name = 'admin' AND u.is_active = TRUE");
  return c.query(kCount).row(0).int64(0);
}

void insert_email_token(sql::Connection& c, const EmailTokenRecord& t, bool supersede_unused) {
  static const sql::Sql kSupersede(
      "UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL");
  static const sql::Sql kInsert(
      "INSERT INTO email_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)");
  if (supersede_unused) c.query(kSupersede, {t.created_at, t.user_id, t.purpose});
  c.query(kInsert, {sql::Value::blob(t.token_hash), t.user_id, t.purpose, t.created_at, t.expires_at});
}

// Marks the token used if it is live; returns its user. The conditional update makes it
// single-use even when two requests present it at once.
std::optional<std::string> consume_token(sql::Connection& c, const std::string& hash, const char* purpose,
                                         std::int64_t now) {
  static const sql::Sql kConsume(
      "UPDATE email_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL "
      "AND expires_at > $1 RETURNING user_id");
  auto r = c.query(kConsume, {now, sql::Value::blob(hash), purpose});
  if (r.empty()) return std::nullopt;
  return r.row(0).text(0);
}

std::optional<UserRecord> find_user(sql::Database& db, const sql::Sql& query, const std::string& value) {
  return db.read([&](sql::Connection& c) -> std::optional<UserRecord> {
    auto r = c.query(query, {value});
    if (r.empty()) return std::nullopt;
    UserRecord u = read_user(r.row(0));
    load_roles(c, u);
    return u;
  });
}

}  // namespace

bool SqlIdentityStore::create_user(const UserRecord& u, const std::vector<std::string>& roles,
                                   const std::optional<EmailTokenRecord>& token,
                                   const std::optional<OutboxMessage>& mail) {
  static const sql::Sql kInsert(
      "INSERT INTO users (id, email, email_normalized, name, password_hash, email_verified, is_active, "
      "marketing_consent, terms_accepted_at, preferences, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, '{}', $8, $8) ON CONFLICT (email_normalized) DO NOTHING");
  return db_.transaction([&](sql::Connection& c) {
    auto ins = c.query(kInsert, {u.id, u.email, u.email_normalized, u.name, u.password_hash, u.email_verified,
                                 u.marketing_consent, u.created_at});
    if (ins.affected() == 0) {
      EventScope::cancel();  // no account was made: nothing to announce
      return false;
    }
    set_roles(c, u.id, roles);
    if (token) insert_email_token(c, *token, false);  // a new account has no older token
    if (mail) SqlMailOutbox::enqueue_mail_in(c, *mail, u.created_at);
    return true;
  });
}

std::optional<UserRecord> SqlIdentityStore::find_user_by_email(const std::string& email_normalized) {
  static const sql::Sql kFind(ARCHON_USER_SELECT " WHERE u.email_normalized = $1");
  return find_user(db_, kFind, email_normalized);
}

std::optional<UserRecord> SqlIdentityStore::find_user_by_id(const std::string& id) {
  static const sql::Sql kFind(ARCHON_USER_SELECT " WHERE u.id = $1");
  return find_user(db_, kFind, id);
}

void SqlIdentityStore::update_profile(const std::string& user_id, const std::optional<std::string>& name,
                                      const std::optional<std::string>& preferences, std::int64_t now) {
  static const sql::Sql kPreferences("UPDATE users SET preferences = $1, updated_at = $2 WHERE id = $3");
  db_.transaction([&](sql::Connection& c) {
    if (name) set_name(c, user_id, *name, now);
    if (preferences) c.query(kPreferences, {*preferences, now, user_id});
  });
}

void SqlIdentityStore::update_password_hash(const std::string& user_id, const std::string& hash, std::int64_t now) {
  static const sql::Sql kSet("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3");
  db_.write([&](sql::Connection& c) { c.query(kSet, {hash, now, user_id}); });
}

std::vector<std::string> SqlIdentityStore::update_user_admin(const std::string& user_id, const AdminChange& change,
                                                             std::int64_t now, const AdminCountCheck& stands) {
  static const sql::Sql kActive("UPDATE users SET is_active = $1, updated_at = $2 WHERE id = $3");
  return db_.transaction([&](sql::Connection& c) {
    const auto& [name, roles, is_active, revoke_sessions] = change;
    bool admin_change = roles || is_active;
    // Changes that may remove an administrator run one at a time across all users, so two
    // admins demoting each other cannot both pass the check below.
    if (admin_change) c.lock(sql::Lock::kAdminChange);
    std::int64_t admins_before = admin_change ? active_admins(c) : 0;
    lock_user(c, user_id);  // two admins replacing roles at once: one after the other
    if (name) set_name(c, user_id, *name, now);
    if (roles) set_roles(c, user_id, *roles);
    std::vector<std::string> revoked;
    if (is_active) c.query(kActive, {*is_active, now, user_id});
    if (revoke_sessions) revoked = revoke_all_user_sessions(c, user_id, *revoke_sessions, now);
    if (admin_change && !stands(admins_before, active_admins(c))) throw ChangeRefused();
    return revoked;
  });
}

std::pair<std::vector<UserRecord>, std::int64_t> SqlIdentityStore::list_users(const UserQuery& q) {
  // sort_by comes from an allow-list checked by the caller; map it again here so nothing
  // client-supplied is ever spliced into SQL. Byte order and ASCII-only lower(), on both
  // backends, whatever the database's locale.
  std::string order = q.sort_by == "email"        ? "u.email_normalized{bytes}"
                      : q.sort_by == "name"       ? "u.name{bytes}"
                      : q.sort_by == "last_login" ? "COALESCE(u.last_login, 0)"
                                                  : "u.created_at";
  static const std::string kWhere =
      " WHERE (CAST($1 AS TEXT) = '' OR {instr}(lower(u.email{bytes}), lower($1{bytes})) > 0"
      " OR {instr}(lower(u.name{bytes}), lower($1{bytes})) > 0)"
      " AND (CAST($2 AS BOOLEAN) IS NULL OR u.is_active = $2)"
      " AND (CAST($3 AS TEXT) IS NULL OR u.id IN (SELECT ur.user_id FROM user_roles ur JOIN roles r "
      "ON r.id = ur.role_id WHERE r.name = $3))";
  static const sql::Sql kCount("SELECT COUNT(*) FROM users u" + kWhere);
  sql::Sql page(ARCHON_USER_SELECT + kWhere + " ORDER BY " + order + (q.descending ? " DESC" : " ASC") +
                ", u.id{bytes} LIMIT $4 OFFSET $5");
  return db_.snapshot([&](sql::Connection& c) {
    std::int64_t total = c.query(kCount, {q.q, q.is_active, q.role}).row(0).int64(0);
    std::vector<UserRecord> out;
    for (auto row : c.query(page, {q.q, q.is_active, q.role, q.limit, (q.page - 1) * q.limit}))
      out.push_back(read_user(row));
    for (auto& u : out) load_roles(c, u);
    return std::make_pair(std::move(out), total);
  });
}

void SqlIdentityStore::issue_email_token(const EmailTokenRecord& token, const OutboxMessage& mail,
                                         bool supersede_unused) {
  db_.transaction([&](sql::Connection& c) {
    lock_user(c, token.user_id);  // so of two tokens issued at once, the later supersedes the earlier
    insert_email_token(c, token, supersede_unused);
    SqlMailOutbox::enqueue_mail_in(c, mail, token.created_at);
  });
}

void SqlIdentityStore::enqueue_mail(const OutboxMessage& mail, std::int64_t now) {
  db_.write([&](sql::Connection& c) { SqlMailOutbox::enqueue_mail_in(c, mail, now); });
}

std::optional<std::string> SqlIdentityStore::find_email_token_user(const std::string& token_hash,
                                                                   const std::string& purpose, std::int64_t now) {
  static const sql::Sql kFind(
      "SELECT user_id FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3");
  return db_.read([&](sql::Connection& c) -> std::optional<std::string> {
    auto r = c.query(kFind, {sql::Value::blob(token_hash), purpose, now});
    if (r.empty()) return std::nullopt;
    return r.row(0).text(0);
  });
}

std::optional<std::string> SqlIdentityStore::verify_email(const std::string& token_hash, std::int64_t now) {
  static const sql::Sql kVerified("UPDATE users SET email_verified = TRUE, updated_at = $1 WHERE id = $2");
  return db_.transaction([&](sql::Connection& c) {
    auto user_id = consume_token(c, token_hash, "verify_email", now);
    if (user_id) c.query(kVerified, {now, *user_id});
    else EventScope::cancel();
    return user_id;
  });
}

std::optional<std::pair<std::string, std::vector<std::string>>> SqlIdentityStore::reset_password(
    const std::string& token_hash, const PasswordResetWrites& writes, std::int64_t now) {
  static const sql::Sql kSet(
      "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 RETURNING email_normalized");
  static const sql::Sql kClearPairs("DELETE FROM login_failures WHERE email_normalized = $1");
  static const sql::Sql kClearAccount("DELETE FROM login_account_failures WHERE email_normalized = $1");
  using Out = std::optional<std::pair<std::string, std::vector<std::string>>>;
  return db_.transaction([&](sql::Connection& c) -> Out {
    auto user_id = consume_token(c, token_hash, "password_reset", now);
    if (!user_id) {
      EventScope::cancel();
      return std::nullopt;
    }
    auto email = c.query(kSet, {writes.new_hash, now, *user_id});
    std::vector<std::string> revoked;
    if (writes.revoke_sessions) revoked = revoke_all_user_sessions(c, *user_id, *writes.revoke_sessions, now);
    if (writes.clear_login_failures && !email.empty()) {
      // Not interleaved with a login attempt's counting.
      std::string e = email.row(0).text(0);
      c.lock(sql::Lock::kLogin, e);
      c.query(kClearPairs, {e});
      c.query(kClearAccount, {e});
    }
    return std::make_pair(*user_id, std::move(revoked));
  });
}

#undef ARCHON_USER_SELECT

}  // namespace archon::store
