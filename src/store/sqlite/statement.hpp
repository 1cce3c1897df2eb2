// RAII over a prepared SQLite statement with typed binds and column reads. Not thread-safe:
// use under the owning SqliteDatabase's lock.
//
// Prepared statements are reused: a Statement takes an idle one prepared earlier on the same
// connection for the same SQL text, and gives it back (reset, bindings cleared) when destroyed.
// Parsing and planning were ~8 % of an agent token mint. Call release_cached() before closing
// a connection.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace archon::store {

// A failed statement. Carries SQLite's message for logs; never shown to clients.
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }

 private:
  int code_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds are 1-based, as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);

  // Advances; true while a row is available.
  bool step();
  // Runs to completion (for statements without rows).
  void run();
  // Ready to run again with new binds (all binds cleared).
  void reset();

  // Finalizes the idle statements kept for `db`; call with no Statement on `db` alive, right
  // before sqlite3_close.
  static void release_cached(sqlite3* db) noexcept;
  // Idle statements kept for `db` (for tests).
  static std::size_t cached_count(sqlite3* db);

  int column_count() const;
  bool column_is_integer(int index) const;  // SQLite's INTEGER storage class
  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::string column_blob(int index) const;
  bool column_is_null(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  void* idle_slot_ = nullptr;  // where stmt_ goes back when destroyed; null: finalize it
};

}  // namespace archon::store
