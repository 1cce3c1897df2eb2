#include "store/sqlite/sqlite_database.hpp"

#include <stdexcept>

#include <sqlite3.h>

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
