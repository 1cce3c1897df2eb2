// The stateful core shared by `serve` and the operator commands: the data directory, the
// migrated store (SQLite or PostgreSQL), the key-encryption key, the keyring, the deny-lists and the token service.
#pragma once
#include <memory>

#include "core/config.hpp"
#include "crypto/key_encryption_key.hpp"
#include "audit/audit_log.hpp"
#include "store/store_backend.hpp"
#include "tokens/keyring.hpp"
#include "tokens/revocation_list.hpp"
#include "tokens/token_service.hpp"

namespace archon::app {

struct Runtime {
  Config config;
  std::unique_ptr<store::StoreBackend> store;  // SQLite or PostgreSQL (store.driver)
  store::TokenStore* token_store = nullptr;     // owned by `store`
  store::IdentityStore* identity_store = nullptr;
  store::MailOutboxRepository* mail_outbox = nullptr;
  store::AgentStore* agent_store = nullptr;
  std::unique_ptr<crypto::KeyEncryptionKey> kek;
  std::unique_ptr<tokens::Keyring> keyring;
  std::unique_ptr<tokens::RevocationList> revocations;
  std::unique_ptr<tokens::TokenService> token_service;
  std::unique_ptr<audit::AuditLog> audit;
};

// Creates the data directory (0700) if needed, opens and migrates the database, loads or
// creates the KEK, loads the keyring (creating first keys) and the deny-lists. Throws
// std::runtime_error with an operator-readable message.
std::unique_ptr<Runtime> open_runtime(const Config& config);

}  // namespace archon::app
