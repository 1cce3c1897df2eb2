// One opened store: every repository on the same database, chosen by `store.driver`.
// The rest of the server sees only the repository interfaces, so SQLite (one instance) and
// PostgreSQL (several instances) are interchangeable.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "core/config.hpp"
#include "core/expected.hpp"
#include "store/agent_store.hpp"
#include "store/api_key_repository.hpp"
#include "store/identity_store.hpp"
#include "store/mail_outbox_repository.hpp"
#include "store/token_store.hpp"
#include "store/webhook_repository.hpp"

namespace archon::store {

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;

  virtual TokenStore& tokens() = 0;
  virtual IdentityStore& identity() = 0;
  virtual AgentStore& agents() = 0;
  virtual ApiKeyRepository& api_keys() = 0;
  virtual WebhookRepository& webhooks() = 0;
  // SQLite: one instance owns the database, so leases found at start are stale.
  virtual bool single_instance() const = 0;
  virtual MailOutboxRepository& mail_outbox() = 0;

  // Applies pending migrations (once, however many instances start together); returns how many.
  virtual int migrate() = 0;
  virtual int schema_version() = 0;
  // A trivial round trip, for health; the error is safe to show an operator.
  virtual Expected<std::chrono::microseconds, std::string> ping() = 0;
  // "sqlite ./data/archon-auth.db", "postgres archon@10.0.0.5:5432/archon": never a password.
  virtual std::string describe() const = 0;
  // Open database connections (the db_connections_active gauge).
  virtual int connections() const = 0;
};

// Opens (does not migrate) the configured store. Throws std::runtime_error with an
// operator-readable message (no password) when the configuration is incomplete or the
// database cannot be reached.
std::unique_ptr<StoreBackend> open_store(const StoreConfig& config, const std::string& data_dir);

}  // namespace archon::store
