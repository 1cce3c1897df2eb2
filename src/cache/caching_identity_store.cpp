#include "cache/caching_identity_store.hpp"

#include "cache/cache_codec.hpp"

namespace archon::cache {
using namespace store;

CachingIdentityStore::CachingIdentityStore(IdentityStore& backend, std::size_t max_items,
                                           observability::Metrics* metrics)
    : backend_(backend), users_(max_items), metrics_(metrics) {}

std::optional<UserRecord> CachingIdentityStore::find_user(const std::string& id, bool& cache_hit) {
  if (bus_ && !bus_->coherent()) {  // another instance's change may not have reached us
    cache_hit = false;
    return backend_.find_user_by_id(id);
  }
  BoundedCache<UserRecord>::Ticket ticket;
  const std::string k = key(id);
  if (auto hit = users_.get(k, &ticket)) {
    cache_hit = true;
    if (metrics_) metrics_->count_cache("user", true);
    return hit;
  }
  if (metrics_) metrics_->count_cache("user", false);
  cluster::SharedCache::Lookup shared;
  if (l2_) {
    shared = l2_->get(k, generation_key(id));
    if (shared.value) {
      if (auto record = decode_user(*shared.value)) {
        cache_hit = true;
        if (metrics_) metrics_->count_cache("user_l2", true);
        users_.put(k, *record, kUserTtl, ticket);
        return record;
      }
    }
    if (metrics_) metrics_->count_cache("user_l2", false);
  }
  cache_hit = false;
  auto record = backend_.find_user_by_id(id);
  if (record) {
    users_.put(k, *record, kUserTtl, ticket);
    if (l2_ && shared.available) l2_->put(k, generation_key(id), shared.generation, encode_user(*record), kUserTtl);
  }
  return record;
}

std::optional<UserRecord> CachingIdentityStore::find_user_by_id(const std::string& id) {
  bool hit = false;
  auto record = find_user(id, hit);
  // From the shared cache, which never holds password hashes: the caller may need it.
  if (record && record->password_hash.empty()) return backend_.find_user_by_id(id);
  return record;
}

// --- writes that change a user record: the backend first, then the entry goes ---

void CachingIdentityStore::update_profile(const std::string& user_id, const std::optional<std::string>& name,
                                          const std::optional<std::string>& preferences, std::int64_t now) {
  backend_.update_profile(user_id, name, preferences, now);
  forget(user_id);
}

void CachingIdentityStore::update_password_hash(const std::string& user_id, const std::string& hash,
                                                std::int64_t now) {
  backend_.update_password_hash(user_id, hash, now);
  forget(user_id);
}

std::vector<std::string> CachingIdentityStore::update_user_admin(const std::string& user_id, const AdminChange& change,
                                                                 std::int64_t now, const AdminCountCheck& stands) {
  auto revoked = backend_.update_user_admin(user_id, change, now, stands);
  forget(user_id);
  return revoked;
}

std::optional<std::string> CachingIdentityStore::find_email_token_user(const std::string& token_hash,
                                                                       const std::string& purpose, std::int64_t now) {
  return backend_.find_email_token_user(token_hash, purpose, now);
}

std::optional<std::string> CachingIdentityStore::verify_email(const std::string& token_hash, std::int64_t now) {
  auto user_id = backend_.verify_email(token_hash, now);
  if (user_id) forget(*user_id);
  return user_id;
}

std::optional<std::pair<std::string, std::vector<std::string>>> CachingIdentityStore::reset_password(
    const std::string& token_hash, const PasswordResetWrites& writes, std::int64_t now) {
  auto result = backend_.reset_password(token_hash, writes, now);
  if (result) forget(result->first);
  return result;
}

void CachingIdentityStore::create_session(const SessionRecord& session, const RefreshTokenRecord& refresh,
                                          const std::optional<std::string>& new_password_hash) {
  backend_.create_session(session, refresh, new_password_hash);
  forget(session.user_id);  // last_login, and perhaps the password hash
}

bool CachingIdentityStore::create_user(const UserRecord& user, const std::vector<std::string>& roles,
                                       const std::optional<EmailTokenRecord>& token,
                                       const std::optional<OutboxMessage>& mail) {
  bool created = backend_.create_user(user, roles, token, mail);
  if (created) forget(user.id);
  return created;
}

// --- everything else passes through ---

std::optional<UserRecord> CachingIdentityStore::find_user_by_email(const std::string& email_normalized) {
  return backend_.find_user_by_email(email_normalized);
}
std::pair<std::vector<UserRecord>, std::int64_t> CachingIdentityStore::list_users(const UserQuery& query) {
  return backend_.list_users(query);
}
void CachingIdentityStore::issue_email_token(const EmailTokenRecord& token, const OutboxMessage& mail,
                                             bool supersede_unused) {
  backend_.issue_email_token(token, mail, supersede_unused);
}
void CachingIdentityStore::enqueue_mail(const OutboxMessage& mail, std::int64_t now) { backend_.enqueue_mail(mail, now); }
void CachingIdentityStore::update_login_counters(
    const std::string& email_normalized, const std::string& client_address, std::int64_t now,
    const std::function<std::optional<LoginCounters>(const LoginCounters&)>& decide) {
  backend_.update_login_counters(email_normalized, client_address, now, decide);
}
void CachingIdentityStore::update_refresh_family(
    const std::string& presented_hash, const std::function<RefreshWrites(const RefreshFamilyState&)>& decide) {
  backend_.update_refresh_family(presented_hash, decide);
}
std::optional<SessionRecord> CachingIdentityStore::find_session(const std::string& session_id) {
  return backend_.find_session(session_id);
}
std::vector<SessionRecord> CachingIdentityStore::list_active_sessions(const std::string& user_id, std::int64_t now) {
  return backend_.list_active_sessions(user_id, now);
}
std::vector<std::string> CachingIdentityStore::revoke_sessions(const std::string& user_id, const std::string& scope,
                                                               const std::string& session_id,
                                                               const std::string& reason, std::int64_t now) {
  return backend_.revoke_sessions(user_id, scope, session_id, reason, now);
}
std::optional<std::string> CachingIdentityStore::revoke_session_by_refresh_token(const std::string& token_hash,
                                                                                 std::int64_t now) {
  return backend_.revoke_session_by_refresh_token(token_hash, now);
}
bool CachingIdentityStore::revoke_user_session(const std::string& user_id, const std::string& session_id,
                                               const std::string& reason, std::int64_t now) {
  return backend_.revoke_user_session(user_id, session_id, reason, now);
}
void CachingIdentityStore::append_audit(AuditEventRecord event) { backend_.append_audit(std::move(event)); }
std::pair<std::vector<AuditEventRecord>, std::int64_t> CachingIdentityStore::list_audit(const AuditQuery& query) {
  return backend_.list_audit(query);
}
std::vector<AuditEventRecord> CachingIdentityStore::all_audit_events() { return backend_.all_audit_events(); }

store::LoginLockState CachingIdentityStore::login_lock_state(const std::string& email_normalized, std::int64_t now) {
  return backend_.login_lock_state(email_normalized, now);
}

void CachingIdentityStore::clear_login_failures(const std::string& email_normalized) {
  backend_.clear_login_failures(email_normalized);
}

}  // namespace archon::cache
