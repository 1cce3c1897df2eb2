// The embedded store's SQLite database file: opened with WAL, foreign keys, a busy timeout and
// synchronous=FULL (a committed write survives kill -9 and power loss), and migrated from the
// numbered SQL files compiled into the binary. One connection behind a mutex; thread-safe.
#pragma once
#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "core/expected.hpp"
#include "store/sqlite/statement.hpp"

struct sqlite3;

namespace archon::store {

class SqliteDatabase {
 public:
  // Opens (creating if needed) `path`. Throws std::runtime_error with a readable message.
  explicit SqliteDatabase(const std::string& path);
  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  // Applies every embedded migration not yet recorded in schema_migrations, each in its own
  // transaction. Returns the number applied. Throws SqliteError on failure (nothing half-applied).
  int migrate();
  int schema_version();

  // Runs `fn` under the connection lock.
  template <class Fn>
  auto with_connection(Fn&& fn) {
    std::lock_guard lock(mu_);
    return fn(db_);
  }
  // Runs `fn` inside BEGIN IMMEDIATE ... COMMIT under the lock; rolls back if it throws.
  void transaction(const std::function<void(sqlite3*)>& fn);

  // Round-trips a trivial query; the error is a message safe to show an operator.
  Expected<std::chrono::microseconds, std::string> ping();
  const std::string& path() const { return path_; }

 private:
  void exec(const char* sql);
  std::string path_;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
};

}  // namespace archon::store
