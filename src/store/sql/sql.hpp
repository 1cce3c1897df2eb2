// The thin dialect layer under the repositories: one body of SQL serves SQLite and PostgreSQL.
//
// A statement is written once, PostgreSQL-style ($1, $2 ...), with markers where the dialects
// differ; `Sql` expands it for each dialect once, when it is built:
//   {least} {greatest}  LEAST/GREATEST        | MIN/MAX (the scalar forms)
//   {lock_row}          FOR NO KEY UPDATE     | nothing (SQLite has one writer at a time)
//   {skip_locked}       FOR UPDATE SKIP LOCKED| nothing
//   {bytes}             COLLATE "C"           | nothing (BINARY is SQLite's default order)
//   {instr}             strpos                | instr
//   {insertion_order}   inserted (a column)   | rowid
// and SQLite's copy has $n rewritten to ?n. Booleans and blobs are bound and read per dialect
// by Value and Row, so callers never branch on the backend.
//
// What stays per backend, and why: the migrations (store/{sqlite,postgres}/migrations), whose DDL
// differs where this layer does not reach (column types BLOB/BYTEA, INTEGER/BOOLEAN,
// AUTOINCREMENT/identity, PostgreSQL's `inserted` ordering column) and which, once shipped, are
// never edited; and each database's connection handling (group commit, pool, deadlines).
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "store/staged_events.hpp"

namespace archon::store::sql {

enum class Dialect { kSqlite, kPostgres };

// One statement's text in both dialects.
class Sql {
 public:
  Sql(std::string_view text);  // NOLINT: implicit, so a literal can be passed where Sql is expected
  const std::string& text(Dialect d) const { return d == Dialect::kSqlite ? sqlite_ : postgres_; }

 private:
  std::string sqlite_;
  std::string postgres_;
};

// One query parameter.
class Value {
 public:
  enum class Kind { kNull, kInt, kText, kBlob, kBool };
  Value(std::nullopt_t) {}  // NOLINT: implicit by design, like the others
  Value(const char* text) : kind_(Kind::kText), text_(text) {}  // NOLINT
  Value(std::string_view text) : kind_(Kind::kText), text_(text) {}  // NOLINT
  Value(const std::string& text) : kind_(Kind::kText), text_(text) {}  // NOLINT
  Value(std::int64_t v) : kind_(Kind::kInt), int_(v) {}  // NOLINT
  Value(int v) : kind_(Kind::kInt), int_(v) {}  // NOLINT
  Value(bool v) : kind_(Kind::kBool), int_(v ? 1 : 0) {}  // NOLINT
  Value(const std::optional<std::string>& text) {  // NOLINT
    if (text) *this = Value(*text);
  }
  Value(const std::optional<std::int64_t>& v) {  // NOLINT
    if (v) *this = Value(*v);
  }
  Value(const std::optional<bool>& v) {  // NOLINT
    if (v) *this = Value(*v);
  }
  // Raw bytes (BLOB / BYTEA).
  static Value blob(std::string_view bytes);
  static Value blob(const std::string& bytes) { return blob(std::string_view(bytes)); }
  static Value blob(const std::optional<std::string>& bytes);

  Kind kind() const { return kind_; }
  std::int64_t integer() const { return int_; }  // kInt and kBool (0 or 1)
  const std::string& text() const { return text_; }  // kText and kBlob

 private:
  Value() = default;
  Kind kind_ = Kind::kNull;
  std::int64_t int_ = 0;
  std::string text_;
};

// A result cell as both backends deliver it: NULL, an integer (SQLite INTEGER; PostgreSQL
// integers and booleans) or bytes (text, or a blob already decoded).
using Cell = std::variant<std::monostate, std::int64_t, std::string>;

class Rows;

// One row of a result; valid while its Rows lives. Columns are 0-based.
class Row {
 public:
  Row(const Rows* rows, std::size_t index) : rows_(rows), index_(index) {}
  bool is_null(int col) const;
  std::string text(int col) const;
  std::int64_t int64(int col) const;
  bool boolean(int col) const;
  std::string blob(int col) const { return text(col); }
  std::optional<std::string> opt_text(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;

 private:
  const Cell& cell(int col) const;
  const Rows* rows_;
  std::size_t index_;
};

// A statement's whole result, read into memory (the repositories' results are small).
class Rows {
 public:
  Rows(int columns, std::vector<Cell> cells, std::int64_t affected)
      : columns_(columns), cells_(std::move(cells)), affected_(affected) {}
  std::size_t size() const { return columns_ ? cells_.size() / static_cast<std::size_t>(columns_) : 0; }
  bool empty() const { return size() == 0; }
  Row row(std::size_t index) const { return Row(this, index); }
  // Rows an INSERT, UPDATE or DELETE changed.
  std::int64_t affected() const { return affected_; }

  struct Iterator {
    const Rows* rows;
    std::size_t index;
    Row operator*() const { return Row(rows, index); }
    Iterator& operator++() { ++index; return *this; }
    bool operator!=(const Iterator& other) const { return index != other.index; }
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, size()}; }

 private:
  friend class Row;
  int columns_;
  std::vector<Cell> cells_;
  std::int64_t affected_;
};

// What a transaction may serialize on beyond row locks. PostgreSQL takes a transaction-scoped
// advisory lock; SQLite's single writer already runs every write transaction alone.
enum class Lock {
  kAuditChain,   // appends to the audit hash chain
  kLogin,        // login-failure counters of one email (keyed by it)
  kAdminChange,  // role and activation changes (the last administrator stays)
};

// One connection inside a unit of work. Not thread-safe; valid only inside the callback.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // The parameters are read during the call, never copied (a vector passes as a span too).
  virtual Rows query(const Sql& sql, std::span<const Value> params) = 0;
  Rows query(const Sql& sql, std::initializer_list<Value> params = {}) {
    return query(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // Blocks until this transaction holds `lock` for `key` (see Lock).
  virtual void lock(Lock lock, std::string_view key = "") = 0;
};

// A database both dialects implement. Thread-safe.
class Database {
 public:
  enum class Mode {
    kRead,         // reads; each statement sees what is committed
    kSnapshot,     // reads that must agree with each other (a count and its page)
    kTransaction,  // one atomic unit, durable when it returns; rolled back if the callback throws
    kWrite,        // a single write statement, durable when it returns
  };
  virtual ~Database() = default;
  virtual Dialect dialect() const = 0;
  // A kTransaction callback may run more than once (PostgreSQL retries serialization failures
  // and deadlocks), so it must set its outcome, not add to captured state.
  // A write (kTransaction or kWrite) made inside a store::EventScope runs as one transaction that
  // also writes the scope's staged events through the outbox writer, just before it commits.
  void run(Mode mode, const std::function<void(Connection&)>& fn);

  // Writes staged events inside the committing transaction (set once, before use).
  using OutboxWriter = std::function<void(Connection&, const std::vector<store::OutboxEvent>&)>;
  void set_outbox_writer(OutboxWriter writer) { outbox_writer_ = std::move(writer); }

  template <class Fn>
  auto read(Fn&& fn) { return run_returning(Mode::kRead, std::forward<Fn>(fn)); }
  template <class Fn>
  auto snapshot(Fn&& fn) { return run_returning(Mode::kSnapshot, std::forward<Fn>(fn)); }
  template <class Fn>
  auto transaction(Fn&& fn) { return run_returning(Mode::kTransaction, std::forward<Fn>(fn)); }
  template <class Fn>
  auto write(Fn&& fn) { return run_returning(Mode::kWrite, std::forward<Fn>(fn)); }

 protected:
  // The backend's unit of work for `mode`.
  virtual void execute(Mode mode, const std::function<void(Connection&)>& fn) = 0;

 private:
  OutboxWriter outbox_writer_;

  template <class Fn>
  auto run_returning(Mode mode, Fn&& fn) {
    using Result = std::invoke_result_t<Fn&, Connection&>;
    if constexpr (std::is_void_v<Result>) {
      run(mode, [&](Connection& c) { fn(c); });
    } else {
      std::optional<Result> out;
      run(mode, [&](Connection& c) { out.emplace(fn(c)); });
      return std::move(*out);
    }
  }
};

}  // namespace archon::store::sql
