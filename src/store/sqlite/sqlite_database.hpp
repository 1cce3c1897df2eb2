// The embedded store's SQLite database file: opened with WAL, foreign keys, a busy timeout and
// synchronous=FULL (a committed write survives kill -9 and power loss), and migrated from the
// numbered SQL files compiled into the binary. One connection behind a mutex; thread-safe.
// A second connection on a background thread checkpoints the WAL into the database file, so
// that copy (and its fsync) is not paid by whichever request's commit crossed the threshold.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
  // Runs `fn` inside a transaction under the lock and returns once it is committed (durable);
  // if `fn` throws, its changes are rolled back and the exception is rethrown here.
  //
  // Group commit: callers that arrive while a commit is in progress queue up, and the next of
  // them to run commits the whole queue as one transaction, each caller's `fn` inside its own
  // SAVEPOINT (a throwing `fn` rolls back only its own changes). One fsync then carries many
  // callers' writes, as in PostgreSQL's commit_delay or InnoDB's binlog group commit. A failed
  // COMMIT fails every caller of the batch; nothing is acknowledged before it is durable.
  void transaction(const std::function<void(sqlite3*)>& fn);

  // Round-trips a trivial query; the error is a message safe to show an operator.
  Expected<std::chrono::microseconds, std::string> ping();
  const std::string& path() const { return path_; }
  // Checkpoints the background thread has run (for tests and diagnostics).
  std::uint64_t checkpoints_run() const { return checkpoints_.load(); }

 private:
  struct PendingWrite {
    const std::function<void(sqlite3*)>* fn;
    std::exception_ptr error;
    bool done = false;
  };
  // Commits `batch` as one transaction, under mu_; records each caller's outcome in it.
  void commit_batch(const std::vector<PendingWrite*>& batch);
  void exec(const char* sql);
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int wal_pages);
  void checkpoint_loop();

  std::string path_;
  std::mutex mu_;
  sqlite3* db_ = nullptr;

  // The group-commit queue: callers waiting for the next batch, and whether one is committing.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<PendingWrite*> queue_;
  bool committing_ = false;

  // The checkpointer: woken by a commit that leaves the WAL at kCheckpointPages or more.
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool checkpoint_stop_ = false;
  std::atomic<std::uint64_t> checkpoints_{0};
  std::thread checkpointer_;
};

}  // namespace archon::store
