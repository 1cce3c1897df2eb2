#include <stdexcept>
#include <type_traits>

#include "store/postgres/pg_agent_store.hpp"
#include "store/postgres/pg_database.hpp"
#include "store/postgres/pg_identity_store.hpp"
#include "store/postgres/pg_mail_outbox.hpp"
#include "store/postgres/pg_token_store.hpp"
#include "store/sqlite/sqlite_agent_store.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/sqlite_identity_store.hpp"
#include "store/sqlite/sqlite_mail_outbox.hpp"
#include "store/sqlite/sqlite_token_store.hpp"
#include "store/store_backend.hpp"

namespace archon::store {
namespace {

// The repositories of one backend share its database object, declared first so it outlives them.
template <class Database, class Tokens, class Identity, class Agents, class Mail>
class Backend : public StoreBackend {
 public:
  template <class... Args>
  explicit Backend(std::string description, Args&&... args)
      : description_(std::move(description)),
        db_(std::forward<Args>(args)...),
        tokens_(db_),
        identity_(db_),
        agents_(db_),
        mail_(db_) {}

  TokenStore& tokens() override { return tokens_; }
  IdentityStore& identity() override { return identity_; }
  AgentStore& agents() override { return agents_; }
  MailOutboxRepository& mail_outbox() override { return mail_; }
  int migrate() override { return db_.migrate(); }
  int schema_version() override { return db_.schema_version(); }
  Expected<std::chrono::microseconds, std::string> ping() override { return db_.ping(); }
  std::string describe() const override {
    if constexpr (std::is_same_v<Database, PgDatabase>) return description_ + " " + db_.pool().target();
    else return description_;
  }
  int connections() const override {
    if constexpr (std::is_same_v<Database, PgDatabase>) return db_.pool().size();
    else return 1;
  }

 private:
  std::string description_;
  Database db_;
  Tokens tokens_;
  Identity identity_;
  Agents agents_;
  Mail mail_;
};

using SqliteBackend = Backend<SqliteDatabase, SqliteTokenStore, SqliteIdentityStore, SqliteAgentStore, SqliteMailOutbox>;
using PgBackend = Backend<PgDatabase, PgTokenStore, PgIdentityStore, PgAgentStore, PgMailOutbox>;

}  // namespace

std::unique_ptr<StoreBackend> open_store(const StoreConfig& config, const std::string& data_dir) {
  if (config.driver == "sqlite") {
    std::string path = data_dir + "/archon-auth.db";
    return std::make_unique<SqliteBackend>("sqlite " + path, path);
  }
  if (config.driver != "postgres") throw std::runtime_error("store.driver: must be sqlite or postgres");
  if (config.url.empty())
    throw std::runtime_error("store.url (or ARCHON_AUTH_DATABASE_URL) is required with store.driver: postgres");
  PgPoolConfig pool;
  pool.url = config.url;
  pool.min = config.pool_min;
  pool.max = config.pool_max;
  pool.command_timeout = std::chrono::milliseconds(config.command_timeout_ms);
  pool.acquire_timeout = std::chrono::milliseconds(config.command_timeout_ms);
  try {
    // PgPool's messages never contain the password (it scrubs them).
    auto backend = std::make_unique<PgBackend>("postgres", std::move(pool));
    return backend;
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("store.url: ") + e.what());
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("PostgreSQL: ") + e.what());
  }
}

}  // namespace archon::store
