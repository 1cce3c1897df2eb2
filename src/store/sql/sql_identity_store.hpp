// IdentityStore, one body of SQL for SQLite and PostgreSQL. Every method runs in one
// transaction; where SQLite's single writer serializes conflicting operations, PostgreSQL takes
// the row lock ({lock_row}) or advisory lock (Connection::lock) that serializes the same ones
// (the user row, a refresh-token family's session row, one email's login counters, the audit
// chain), so conditional updates stay exact with several instances on one database.
// Thread-safe. Implementation split by area: users, logins, sessions, audit.
#pragma once
#include "store/identity_store.hpp"
#include "store/sql/sql.hpp"

namespace archon::store {

class SqlIdentityStore final : public IdentityStore {
 public:
  explicit SqlIdentityStore(sql::Database& db) : db_(db) {}

  bool create_user(const UserRecord& user, const std::vector<std::string>& roles,
                   const std::optional<EmailTokenRecord>& token, const std::optional<OutboxMessage>& mail) override;
  std::optional<UserRecord> find_user_by_email(const std::string& email_normalized) override;
  std::optional<UserRecord> find_user_by_id(const std::string& id) override;
  void update_profile(const std::string& user_id, const std::optional<std::string>& name,
                      const std::optional<std::string>& preferences, std::int64_t now) override;
  void update_password_hash(const std::string& user_id, const std::string& hash, std::int64_t now) override;
  std::vector<std::string> update_user_admin(const std::string& user_id, const AdminChange& change, std::int64_t now,
                                             const AdminCountCheck& stands) override;
  std::pair<std::vector<UserRecord>, std::int64_t> list_users(const UserQuery& query) override;

  void issue_email_token(const EmailTokenRecord& token, const OutboxMessage& mail, bool supersede_unused) override;
  void enqueue_mail(const OutboxMessage& mail, std::int64_t now) override;
  std::optional<std::string> find_email_token_user(const std::string& token_hash, const std::string& purpose,
                                                   std::int64_t now) override;
  std::optional<std::string> verify_email(const std::string& token_hash, std::int64_t now) override;
  std::optional<std::pair<std::string, std::vector<std::string>>> reset_password(const std::string& token_hash,
                                                                                 const PasswordResetWrites& writes,
                                                                                 std::int64_t now) override;

  LoginLockState login_lock_state(const std::string& email_normalized, std::int64_t now) override;
  void clear_login_failures(const std::string& email_normalized) override;
  void update_login_counters(const std::string& email_normalized, const std::string& client_address,
                             std::int64_t now, const std::function<std::optional<LoginCounters>(const LoginCounters&)>& decide) override;

  void create_session(const SessionRecord& session, const RefreshTokenRecord& refresh,
                      const std::optional<std::string>& new_password_hash) override;
  void update_refresh_family(const std::string& presented_hash,
                             const std::function<RefreshWrites(const RefreshFamilyState&)>& decide) override;
  std::optional<SessionRecord> find_session(const std::string& session_id) override;
  std::vector<SessionRecord> list_active_sessions(const std::string& user_id, std::int64_t now) override;
  std::vector<std::string> revoke_sessions(const std::string& user_id, const std::string& scope,
                                           const std::string& session_id, const std::string& reason,
                                           std::int64_t now) override;
  std::optional<std::string> revoke_session_by_refresh_token(const std::string& token_hash,
                                                             std::int64_t now) override;
  bool revoke_user_session(const std::string& user_id, const std::string& session_id, const std::string& reason,
                           std::int64_t now) override;

  void append_audit(AuditEventRecord event) override;
  void append_audit_batch(std::vector<AuditEventRecord> events) override;
  std::pair<std::vector<AuditEventRecord>, std::int64_t> list_audit(const AuditQuery& query) override;
  std::vector<AuditEventRecord> all_audit_events() override;

 private:
  sql::Database& db_;
};

// Shared by the identity files: the sessions of `user_id` still live, revoked now with
// `reason`; their ids in creation order.
std::vector<std::string> revoke_all_user_sessions(sql::Connection& c, const std::string& user_id,
                                                  const std::string& reason, std::int64_t now);

}  // namespace archon::store
