// RAII over libpq, so repository code reads like the SQLite Statement helper: one connection
// with its prepared-statement cache, results with typed column reads, and a transaction guard.
// Every wait on the server has a client-side deadline (the command timeout plus a margin), so a
// stopped server or a dead network never hangs a caller. Not thread-safe: a connection belongs
// to one thread at a time (PgPool hands it out).
#pragma once
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/store_errors.hpp"

struct pg_conn;
struct pg_result;

namespace archon::store {

// A statement the database refused (constraint, syntax, serialization, ...). Carries the
// SQLSTATE for callers that branch on it; the message is for logs, never shown to clients.
class PgError : public std::runtime_error {
 public:
  PgError(std::string sqlstate, const std::string& what) : std::runtime_error(what), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  // serialization_failure or deadlock_detected: the transaction may simply be run again.
  bool retryable() const noexcept { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

 private:
  std::string sqlstate_;
};

// The database is unreachable, the connection broke, it did not answer in time, or no pooled
// connection came free in time.
struct PgUnavailable : StoreUnavailable {
  using StoreUnavailable::StoreUnavailable;
};

// One query parameter, sent in text format; NULL when it holds no value.
class PgParam {
 public:
  PgParam(std::nullopt_t) {}  // NOLINT: implicit by design, like the others
  PgParam(const char* text) : value_(text) {}  // NOLINT
  PgParam(std::string_view text) : value_(std::string(text)) {}  // NOLINT
  PgParam(const std::string& text) : value_(text) {}  // NOLINT
  PgParam(std::int64_t v) : value_(std::to_string(v)) {}  // NOLINT
  PgParam(int v) : value_(std::to_string(v)) {}  // NOLINT
  PgParam(bool v) : value_(v ? "true" : "false") {}  // NOLINT
  PgParam(const std::optional<std::string>& text) : value_(text) {}  // NOLINT
  PgParam(const std::optional<std::int64_t>& v) {  // NOLINT
    if (v) value_ = std::to_string(*v);
  }
  // Raw bytes for a BYTEA column, as its hex text form.
  static PgParam bytea(const std::string& bytes);
  static PgParam bytea(const std::optional<std::string>& bytes);

  const char* c_str() const { return value_ ? value_->c_str() : nullptr; }
  // PostgreSQL text cannot hold NUL, and a text parameter would silently end at one.
  bool has_nul() const { return value_ && value_->find('\0') != std::string::npos; }

 private:
  PgParam() = default;
  std::optional<std::string> value_;
};

// One row of a result; valid while its PgResult lives. Columns are 0-based.
class PgRow {
 public:
  PgRow(const pg_result* result, int row) : result_(result), row_(row) {}
  bool is_null(int col) const;
  std::string text(int col) const;
  std::int64_t int64(int col) const;
  bool boolean(int col) const;
  std::string bytea(int col) const;
  std::optional<std::string> opt_text(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;

 private:
  const pg_result* result_;
  int row_;
};

class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  ~PgResult();
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&&) = delete;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  int columns() const;
  unsigned column_type(int col) const;  // the column's type OID (17 bytea, 16 bool, ...)
  bool empty() const { return rows() == 0; }
  PgRow row(int index) const { return PgRow(result_, index); }
  // Rows an INSERT, UPDATE or DELETE changed (like sqlite3_changes).
  std::int64_t affected() const;

  struct Iterator {
    const pg_result* result;
    int index;
    PgRow operator*() const { return PgRow(result, index); }
    Iterator& operator++() { ++index; return *this; }
    bool operator!=(const Iterator& other) const { return index != other.index; }
  };
  Iterator begin() const { return {result_, 0}; }
  Iterator end() const { return {result_, rows()}; }

 private:
  pg_result* result_;
};

class PgConnection {
 public:
  // Takes ownership of a connected handle; `command_timeout` bounds each round trip.
  PgConnection(pg_conn* conn, std::chrono::milliseconds command_timeout);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` without parameters through the simple protocol (several statements allowed, as
  // in a migration); returns the last statement's result. `timeout` overrides the default.
  PgResult exec(std::string_view sql, std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Runs the statement `name`, preparing it from `sql` on this connection's first use of the
  // name. One name must always mean one SQL text.
  PgResult query(const std::string& name, std::string_view sql, std::initializer_list<PgParam> params = {});
  PgResult query(const std::string& name, std::string_view sql, const std::vector<PgParam>& params);
  // The same, the statement named after its SQL text (the dialect layer's statements).
  PgResult query_text(const std::string& sql, const std::vector<PgParam>& params);

  // Connected, not known broken, and no transaction left open: fit to go back to the pool.
  bool reusable() const;
  // reusable(), and the server has sent nothing while it sat idle (a non-blocking check that
  // catches the FATAL and FIN of a restart or a terminated backend before the caller does).
  bool alive();
  // Marks the connection unusable; the pool discards it instead of reusing it.
  void discard() noexcept { broken_ = true; }
  bool broken() const noexcept { return broken_; }

 private:
  PgResult await(std::chrono::steady_clock::time_point deadline);
  void wait_readable(std::chrono::steady_clock::time_point deadline);
  [[noreturn]] void fail_send();
  std::chrono::steady_clock::time_point deadline(std::optional<std::chrono::milliseconds> timeout) const;

  pg_conn* conn_;
  std::chrono::milliseconds command_timeout_;
  bool broken_ = false;
  std::unordered_map<std::string, bool> prepared_;  // statement name -> prepared here
  std::unordered_map<std::string, std::string> names_by_text_;  // query_text's SQL -> its name
};

enum class PgIsolation { kReadCommitted, kRepeatableRead, kSerializable };

// BEGIN on construction, ROLLBACK on destruction unless commit() ran.
class PgTransaction {
 public:
  explicit PgTransaction(PgConnection& conn, PgIsolation isolation = PgIsolation::kReadCommitted,
                         bool read_only = false);
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  void commit();

 private:
  PgConnection& conn_;
  bool done_ = false;
};

}  // namespace archon::store
