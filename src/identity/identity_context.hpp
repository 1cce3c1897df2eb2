// What the account and session services share: the store, hashing, tokens, the KEK (for the
// refresh grace window), the audit log and configuration. Owned by the composition root; the
// services hold it by reference.
#pragma once
#include <functional>
#include <optional>

#include <boost/asio/awaitable.hpp>

#include "audit/audit_log.hpp"
#include "core/config.hpp"
#include "crypto/key_encryption_key.hpp"
#include "identity/hashing_pool.hpp"
#include "identity/password_hasher.hpp"
#include "observability/metrics.hpp"
#include "store/identity_store.hpp"
#include "store/staged_events.hpp"
#include "tokens/token_service.hpp"

namespace archon::identity {

struct IdentityContext {
  store::IdentityStore& store;
  PasswordHasher& hasher;
  HashingPool& pool;
  tokens::TokenService& tokens;
  const crypto::KeyEncryptionKey& kek;
  audit::AuditLog& audit;
  observability::Metrics& metrics;
  const Config& config;
  std::function<void()> mail_queued;  // wakes the outbox worker; may be empty
  // The agent types a user with these roles may run (the access token's agent_capabilities).
  std::function<std::vector<std::string>(const std::vector<std::string>& roles)> runnable_agent_types;
  std::function<std::int64_t()> now = tokens::system_epoch_seconds;
  // Writes webhook events in a transaction of their own, for an announcement that follows a
  // change committed earlier (a lockout confirmed once the password proved wrong); may be empty.
  std::function<void(std::vector<store::OutboxEvent>)> publish_events;
};

// Puts the sessions on the deny-list so their access tokens stop working at once, until
// the longest-lived of them would have expired anyway.
void deny_sessions(IdentityContext& ctx, const std::vector<std::string>& session_ids);

// The access token for a user in a session, with the spec's claims.
tokens::IssuedToken issue_access_token(IdentityContext& ctx, const store::UserRecord& user,
                                       const std::string& session_id);

// Argon2id on the bounded pool; nullopt when the pool is full (answer 503). `stored` null
// means "no such account": the same work is spent against a dummy hash and the result is a
// failure, so an unknown email costs what a wrong password costs.
boost::asio::awaitable<std::optional<std::string>> hash_password(IdentityContext& ctx, const std::string& password);
boost::asio::awaitable<std::optional<VerifyResult>> verify_password(IdentityContext& ctx, const std::string& password,
                                                                    const std::string* stored);


}  // namespace archon::identity
