#include "store/postgres/pg_database.hpp"

#include <random>
#include <string>
#include <thread>

#include "core/embedded_assets.hpp"

namespace archon::store {
namespace {

// A migration may rewrite a large table, and instances that start meanwhile wait for it on the
// lock: both need far longer than a request's statement.
constexpr std::chrono::milliseconds kMigrationTimeout{10 * 60 * 1000};

constexpr const char* kCreateSchemaMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "applied_at BIGINT NOT NULL)";

}  // namespace

void lock_advisory(PgConnection& conn, PgLock lock, std::string_view key) {
  conn.query("advisory_lock", "SELECT pg_advisory_xact_lock($1::integer, hashtext($2::text))",
             {static_cast<int>(lock), key});
}

void PgDatabase::backoff(int attempt) {
  // Jittered, so transactions that just collided do not collide again in lockstep.
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<int> ms(1, 5 * attempt);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms(rng)));
}

int PgDatabase::schema_version() {
  return with_connection([](PgConnection& c) {
    if (!c.exec("SELECT to_regclass('schema_migrations') IS NOT NULL").row(0).boolean(0)) return 0;
    return static_cast<int>(c.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").row(0).int64(0));
  });
}

int PgDatabase::migrate() {
  int applied = 0;
  for (const auto& [name, sql] : assets::list("migrations/postgres/")) {
    // "migrations/postgres/0001_signing_keys.sql" -> 1
    std::string_view file = name.substr(name.rfind('/') + 1);
    int version = std::stoi(std::string(file.substr(0, file.find('_'))));
    bool ran = transaction([&](PgConnection& c) {
      c.exec("SET LOCAL statement_timeout = " + std::to_string(kMigrationTimeout.count()), kMigrationTimeout);
      // Instances starting together queue here; each then sees what the one before recorded.
      c.exec("SELECT pg_advisory_xact_lock(" + std::to_string(static_cast<int>(PgLock::kMigrations)) + ", 0)",
             kMigrationTimeout);
      c.exec(kCreateSchemaMigrations);
      if (c.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").row(0).int64(0) >= version) return false;
      try {
        c.exec(sql, kMigrationTimeout);
      } catch (const PgError& e) {
        throw PgError(e.sqlstate(), std::string(file) + ": " + e.what());
      }
      c.query("migrate_record",
              "INSERT INTO schema_migrations (version, name, applied_at) "
              "VALUES ($1, $2, EXTRACT(EPOCH FROM now())::bigint)",
              {version, file});
      return true;
    });
    if (ran) ++applied;
  }
  return applied;
}

Expected<std::chrono::microseconds, std::string> PgDatabase::ping() {
  auto start = std::chrono::steady_clock::now();
  try {
    with_connection([](PgConnection& c) { c.exec("SELECT 1"); });
  } catch (const std::exception& e) {
    return Unexpected{std::string("database query failed: ") + e.what()};
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace archon::store
