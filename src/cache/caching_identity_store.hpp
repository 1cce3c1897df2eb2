// The identity store behind the caches: user records (profile, roles, permissions) are read
// through the L1 and then, with several instances, the shared L2 (user:profile:{id}, TTL 300 s), and every write that can change a user
// drops that user's entry in the same call, so a role change, a deactivation or a new password
// counts on the very next request. Everything else passes straight to the backend.
// With several instances, every such drop is published on the cluster bus and the others drop
// their entry too; while the bus may be missing messages, reads go straight to the database.
// Writes made by the CLI are seen after the TTL.
#pragma once
#include <memory>

#include "cache/bounded_cache.hpp"
#include "cluster/shared_cache.hpp"
#include "cluster/cluster_bus.hpp"
#include "observability/metrics.hpp"
#include "store/identity_store.hpp"

namespace archon::cache {

class CachingIdentityStore final : public store::IdentityStore {
 public:
  static constexpr std::chrono::seconds kUserTtl{300};

  CachingIdentityStore(store::IdentityStore& backend, std::size_t max_items, observability::Metrics* metrics);

  // find_user_by_id that says whether the cache answered (for meta.performance.cache_hit).
  std::optional<store::UserRecord> find_user(const std::string& id, bool& cache_hit);
  std::size_t cached_users() const { return users_.size(); }
  // Start-up only, before serving.
  void set_bus(cluster::ClusterBus* bus) { bus_ = bus; }
  // The shared L2 behind the L1 (user:profile:{id}, without the password hash).
  void set_shared_cache(cluster::SharedCache* l2) { l2_ = l2; }
  // Another instance changed `user_id` (or messages may have been missed): memory only.
  void drop(const std::string& user_id) { users_.invalidate(key(user_id)); }
  void drop_all() { users_.invalidate_all(); }
  // Messages may have been missed while the bus was down: the L2 may hold stale records too.
  void drop_shared() {
    if (l2_) l2_->invalidate_all();
  }

  bool create_user(const store::UserRecord& user, const std::vector<std::string>& roles,
                   const std::optional<store::EmailTokenRecord>& token,
                   const std::optional<store::OutboxMessage>& mail) override;
  std::optional<store::UserRecord> find_user_by_email(const std::string& email_normalized) override;
  std::optional<store::UserRecord> find_user_by_id(const std::string& id) override;
  void update_profile(const std::string& user_id, const std::optional<std::string>& name,
                      const std::optional<std::string>& preferences, std::int64_t now) override;
  void update_password_hash(const std::string& user_id, const std::string& hash, std::int64_t now) override;
  std::vector<std::string> update_user_admin(const std::string& user_id, const store::AdminChange& change,
                                             std::int64_t now, const AdminCountCheck& stands) override;
  std::pair<std::vector<store::UserRecord>, std::int64_t> list_users(const store::UserQuery& query) override;

  void issue_email_token(const store::EmailTokenRecord& token, const store::OutboxMessage& mail,
                         bool supersede_unused) override;
  void enqueue_mail(const store::OutboxMessage& mail, std::int64_t now) override;
  std::optional<std::string> find_email_token_user(const std::string& token_hash, const std::string& purpose,
                                                   std::int64_t now) override;
  std::optional<std::string> verify_email(const std::string& token_hash, std::int64_t now) override;
  std::optional<std::pair<std::string, std::vector<std::string>>> reset_password(
      const std::string& token_hash, const store::PasswordResetWrites& writes, std::int64_t now) override;

  store::LoginLockState login_lock_state(const std::string& email_normalized, std::int64_t now) override;
  void clear_login_failures(const std::string& email_normalized) override;
  void update_login_counters(
      const std::string& email_normalized, const std::string& client_address, std::int64_t now,
      const std::function<std::optional<store::LoginCounters>(const store::LoginCounters&)>& decide) override;

  void create_session(const store::SessionRecord& session, const store::RefreshTokenRecord& refresh,
                      const std::optional<std::string>& new_password_hash) override;
  void update_refresh_family(
      const std::string& presented_hash,
      const std::function<store::RefreshWrites(const store::RefreshFamilyState&)>& decide) override;
  std::optional<store::SessionRecord> find_session(const std::string& session_id) override;
  std::vector<store::SessionRecord> list_active_sessions(const std::string& user_id, std::int64_t now) override;
  std::vector<std::string> revoke_sessions(const std::string& user_id, const std::string& scope,
                                           const std::string& session_id, const std::string& reason,
                                           std::int64_t now) override;
  std::optional<std::string> revoke_session_by_refresh_token(const std::string& token_hash,
                                                             std::int64_t now) override;
  bool revoke_user_session(const std::string& user_id, const std::string& session_id, const std::string& reason,
                           std::int64_t now) override;

  void append_audit(store::AuditEventRecord event) override;
  void append_audit_batch(std::vector<store::AuditEventRecord> events) override {
    backend_.append_audit_batch(std::move(events));
  }
  std::pair<std::vector<store::AuditEventRecord>, std::int64_t> list_audit(const store::AuditQuery& query) override;
  std::vector<store::AuditEventRecord> all_audit_events() override;

 private:
  static std::string key(const std::string& user_id) { return "user:profile:" + user_id; }
  static std::string generation_key(const std::string& user_id) { return "user:gen:" + user_id; }
  // After the write committed: this L1, then the shared L2, then every other instance's L1.
  void forget(const std::string& user_id) {
    users_.invalidate(key(user_id));
    if (l2_) l2_->invalidate(key(user_id), generation_key(user_id));
    if (bus_) bus_->user_changed(user_id);
  }

  store::IdentityStore& backend_;
  BoundedCache<store::UserRecord> users_;
  observability::Metrics* metrics_;
  cluster::ClusterBus* bus_ = nullptr;
  cluster::SharedCache* l2_ = nullptr;
};

}  // namespace archon::cache
