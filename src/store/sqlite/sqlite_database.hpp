// The embedded store's SQLite database file: opened with WAL, foreign keys, a busy timeout and
// synchronous=FULL (a committed write survives kill -9 and power loss). One connection guarded
// by a mutex; thread-safe. Repositories built on it arrive with the identity issue.
#pragma once
#include <chrono>
#include <mutex>
#include <string>

#include "core/expected.hpp"

struct sqlite3;

namespace archon::store {

class SqliteDatabase {
 public:
  // Opens (creating if needed) `path`. Throws std::runtime_error with a readable message.
  explicit SqliteDatabase(const std::string& path);
  ~SqliteDatabase();
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  // Round-trips a trivial query; the error is a message safe to show an operator.
  Expected<std::chrono::microseconds, std::string> ping();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
};

}  // namespace archon::store
