#include "store/sqlite/sqlite_database.hpp"

#include <stdexcept>

#include <sqlite3.h>

#include "core/embedded_assets.hpp"

namespace archon::store {

SqliteDatabase::SqliteDatabase(const std::string& path) : path_(path) {
  int rc = sqlite3_open_v2(path.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot open database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=FULL"}) {
    char* err = nullptr;
    if (sqlite3_exec(db_, pragma, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      sqlite3_close(db_);
      db_ = nullptr;
      throw std::runtime_error("cannot configure database " + path + ": " + msg);
    }
  }
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close(db_); }

void SqliteDatabase::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(rc, msg);
  }
}

void SqliteDatabase::transaction(const std::function<void(sqlite3*)>& fn) {
  std::lock_guard lock(mu_);
  exec("BEGIN IMMEDIATE");
  try {
    fn(db_);
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

int SqliteDatabase::schema_version() {
  std::lock_guard lock(mu_);
  exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
       "applied_at INTEGER NOT NULL)");
  Statement st(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  st.step();
  return static_cast<int>(st.column_int(0));
}

int SqliteDatabase::migrate() {
  int current = schema_version();
  int applied = 0;
  for (const auto& [name, sql] : assets::list("migrations/sqlite/")) {
    // "migrations/sqlite/0001_signing_keys.sql" -> 1
    std::string_view file = name.substr(name.rfind('/') + 1);
    int version = std::stoi(std::string(file.substr(0, file.find('_'))));
    if (version <= current) continue;
    transaction([&](sqlite3* db) {
      std::string text(sql);
      char* err = nullptr;
      if (int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
        std::string msg = std::string(file) + ": " + (err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        throw SqliteError(rc, msg);
      }
      Statement(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, strftime('%s','now'))")
          .bind(1, std::int64_t{version})
          .bind(2, file)
          .run();
    });
    ++applied;
  }
  return applied;
}

Expected<std::chrono::microseconds, std::string> SqliteDatabase::ping() {
  auto start = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, "SELECT 1", -1, &stmt, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return Unexpected{std::string("database query failed: ") + sqlite3_errstr(rc)};
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace archon::store
