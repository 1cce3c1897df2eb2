// IdentityStore on PostgreSQL, with the SQLite store's semantics. Every method runs in one
// transaction; where SQLite relies on BEGIN IMMEDIATE serializing writers, this takes the row
// or advisory lock that serializes the same conflicting operations (the user row, the
// session row of a refresh-token family, one email's login counters, the audit chain), so
// conditional updates stay exact with several server instances on one database.
// Thread-safe. Implementation split by area: users, logins, sessions, audit.
#pragma once
#include "store/identity_store.hpp"
#include "store/postgres/pg_database.hpp"

namespace archon::store {

class PgIdentityStore final : public IdentityStore {
 public:
  explicit PgIdentityStore(PgDatabase& db) : db_(db) {}

  bool create_user(const UserRecord& user, const std::vector<std::string>& roles,
                   const std::optional<EmailTokenRecord>& token, const std::optional<OutboxMessage>& mail) override;
  std::optional<UserRecord> find_user_by_email(const std::string& email_normalized) override;
  std::optional<UserRecord> find_user_by_id(const std::string& id) override;
  void update_profile(const std::string& user_id, const std::optional<std::string>& name,
                      const std::optional<std::string>& preferences, std::int64_t now) override;
  void update_password_hash(const std::string& user_id, const std::string& hash, std::int64_t now) override;
  std::vector<std::string> update_user_admin(const std::string& user_id, const std::optional<std::string>& name,
                                             const std::optional<std::vector<std::string>>& roles,
                                             const std::optional<bool>& is_active, std::int64_t now) override;
  std::pair<std::vector<UserRecord>, std::int64_t> list_users(const UserQuery& query) override;

  void issue_email_token(const EmailTokenRecord& token, const OutboxMessage& mail) override;
  void enqueue_mail(const OutboxMessage& mail, std::int64_t now) override;
  std::optional<std::string> verify_email(const std::string& token_hash, std::int64_t now) override;
  std::optional<std::pair<std::string, std::vector<std::string>>> reset_password(const std::string& token_hash,
                                                                                 const std::string& new_hash,
                                                                                 std::int64_t now) override;

  LoginAttempt begin_login_attempt(const std::string& email_normalized, const std::string& client_address,
                                   const LoginLimits& limits, std::int64_t now) override;
  void login_succeeded(const std::string& email_normalized, const std::string& client_address) override;
  void cancel_login_attempt(const std::string& email_normalized, const std::string& client_address) override;

  void create_session(const SessionRecord& session, const RefreshTokenRecord& refresh,
                      const std::optional<std::string>& new_password_hash) override;
  RefreshOutcome rotate_refresh_token(const std::string& presented_hash, const RefreshTokenRecord& child,
                                      const std::string& sealed_child, std::int64_t now, std::int64_t grace_seconds,
                                      std::int64_t idle_seconds) override;
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
  PgDatabase& db_;
};

}  // namespace archon::store
