// The PostgreSQL store's database: a connection pool, transactions that are retried on
// serialization failures and deadlocks, and migrations from the numbered SQL files compiled
// into the binary, applied once however many instances start together. Thread-safe.
#pragma once
#include <chrono>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/expected.hpp"
#include "store/postgres/pg_pool.hpp"

namespace archon::store {

// Transaction-scoped advisory locks (released at COMMIT or ROLLBACK). The two-key form keeps
// them apart from one-key locks other tools may take in the same database.
enum class PgLock : int {
  kMigrations = 0x41524301,  // "ARC" + 1
  kAuditChain = 0x41524302,  // appends to the audit hash chain
  kLogin = 0x41524303,       // login-failure counters of one email (keyed by its hash)
  kAdminChange = 0x41524304, // role and activation changes (the last administrator stays)
};
// Blocks until the current transaction holds `lock` for `key`.
void lock_advisory(PgConnection& conn, PgLock lock, std::string_view key = "");

class PgDatabase {
 public:
  // Opens the pool (see PgPool for what it throws).
  explicit PgDatabase(PgPoolConfig config) : pool_(std::move(config)) {}

  // Applies every embedded migration ("migrations/postgres/NNNN_name.sql") newer than the
  // recorded schema version, each in its own transaction under an advisory lock. Returns the
  // number this call applied. Throws PgError on failure (nothing half-applied).
  int migrate();
  int schema_version();

  // Runs `fn(PgConnection&)` on a pooled connection, each statement in its own transaction.
  template <class Fn>
  auto with_connection(Fn&& fn) {
    auto lease = pool_.acquire();
    return fn(*lease);
  }

  // Runs `fn(PgConnection&)` inside BEGIN ... COMMIT; rolls back if it throws. On a
  // serialization failure or deadlock the whole transaction runs again (a few times), so `fn`
  // must return its outcome rather than write it to captured state.
  template <class Fn>
  auto transaction(Fn&& fn, PgIsolation isolation = PgIsolation::kReadCommitted, bool read_only = false) {
    using Result = std::invoke_result_t<Fn&, PgConnection&>;
    for (int attempt = 1;; ++attempt) {
      try {
        auto lease = pool_.acquire();
        PgTransaction tx(*lease, isolation, read_only);
        if constexpr (std::is_void_v<Result>) {
          fn(*lease);
          tx.commit();
          return;
        } else {
          Result result = fn(*lease);
          tx.commit();
          return result;
        }
      } catch (const PgError& e) {
        if (!e.retryable() || attempt >= kMaxAttempts) throw;
      }
      backoff(attempt);
    }
  }

  // Several reads that must agree with each other (a count and its page): one snapshot.
  template <class Fn>
  auto snapshot(Fn&& fn) {
    return transaction(std::forward<Fn>(fn), PgIsolation::kRepeatableRead, /*read_only=*/true);
  }

  // Round-trips a trivial query; the error is a message safe to show an operator.
  Expected<std::chrono::microseconds, std::string> ping();
  PgPool& pool() { return pool_; }
  const PgPool& pool() const { return pool_; }

 private:
  static constexpr int kMaxAttempts = 5;
  static void backoff(int attempt);
  PgPool pool_;
};

}  // namespace archon::store
