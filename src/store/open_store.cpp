#include <stdexcept>
#include <type_traits>

#include "store/postgres/pg_database.hpp"
#include "store/postgres/pg_sql_database.hpp"
#include "store/sql/sql_agent_store.hpp"
#include "store/sql/sql_api_key_store.hpp"
#include "store/sql/sql_identity_store.hpp"
#include "store/sql/sql_mail_outbox.hpp"
#include "store/sql/sql_token_store.hpp"
#include "store/sql/sql_webhook_store.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/sqlite_sql_database.hpp"
#include "store/store_backend.hpp"

namespace archon::store {
namespace {

// One backend: its database, the dialect layer over it, and the repositories (one body of SQL
// for both backends) on that layer; declared in that order so each outlives what uses it.
template <class Database, class SqlDatabase>
class Backend : public StoreBackend {
 public:
  template <class... Args>
  explicit Backend(std::string description, Args&&... args)
      : description_(std::move(description)),
        db_(std::forward<Args>(args)...),
        sql_(db_),
        tokens_(sql_),
        identity_(sql_),
        agents_(sql_),
        api_keys_(sql_),
        webhooks_(sql_),
        mail_(sql_, std::is_same_v<Database, PgDatabase> ? SqlMailOutbox::kLeaseSeconds : 0) {}

  TokenStore& tokens() override { return tokens_; }
  IdentityStore& identity() override { return identity_; }
  AgentStore& agents() override { return agents_; }
  ApiKeyRepository& api_keys() override { return api_keys_; }
  WebhookRepository& webhooks() override { return webhooks_; }
  bool single_instance() const override { return !std::is_same_v<Database, PgDatabase>; }
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
  SqlDatabase sql_;
  SqlTokenStore tokens_;
  SqlIdentityStore identity_;
  SqlAgentStore agents_;
  SqlApiKeyStore api_keys_;
  SqlWebhookStore webhooks_;
  SqlMailOutbox mail_;
};

using SqliteBackend = Backend<SqliteDatabase, SqliteSqlDatabase>;
using PgBackend = Backend<PgDatabase, PgSqlDatabase>;

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
