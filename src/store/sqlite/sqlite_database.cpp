#include "store/sqlite/sqlite_database.hpp"

#include <stdexcept>

#include <sqlite3.h>

#include "core/embedded_assets.hpp"
#include "core/log.hpp"

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
  // cache_size: 8 MiB of pages (SQLite's default is 2 MiB), so the hot B-tree pages of the
  // sessions, tokens and audit tables stay in memory instead of being re-read with pread.
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=FULL",
                             "PRAGMA cache_size=-8192"}) {
    char* err = nullptr;
    if (sqlite3_exec(db_, pragma, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      Statement::release_cached(db_);
      sqlite3_close(db_);
      db_ = nullptr;
      throw std::runtime_error("cannot configure database " + path + ": " + msg);
    }
  }
  // WAL checkpoints move to the background thread: our hook replaces SQLite's automatic
  // checkpoint, which ran inside the commit that crossed 1,000 pages.
  bool wal = with_connection([](sqlite3* db) {
    Statement st(db, "PRAGMA journal_mode");
    return st.step() && st.column_text(0) == "wal";
  });
  if (wal) {
    sqlite3_wal_hook(db_, &SqliteDatabase::on_wal_commit, this);
    checkpointer_ = std::thread([this] { checkpoint_loop(); });
  }
}

SqliteDatabase::~SqliteDatabase() {
  if (checkpointer_.joinable()) {
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_all();
    checkpointer_.join();
  }
  Statement::release_cached(db_);
  sqlite3_close(db_);  // the last connection to close checkpoints whatever is left
}

namespace {
// SQLite's own default threshold for an automatic checkpoint.
constexpr int kCheckpointPages = 1000;
}  // namespace

int SqliteDatabase::on_wal_commit(void* self, sqlite3*, const char*, int wal_pages) {
  if (wal_pages >= kCheckpointPages) {
    auto* db = static_cast<SqliteDatabase*>(self);
    {
      std::lock_guard lock(db->checkpoint_mu_);
      db->checkpoint_wanted_ = true;
    }
    db->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteDatabase::checkpoint_loop() {
  sqlite3* conn = nullptr;
  if (sqlite3_open_v2(path_.c_str(), &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    log::warn("wal checkpointer: cannot open the database; checkpoints happen at close only",
              {{"error", conn ? sqlite3_errmsg(conn) : "out of memory"}});
    sqlite3_close(conn);
    return;
  }
  sqlite3_exec(conn, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
  std::unique_lock lock(checkpoint_mu_);
  for (;;) {
    checkpoint_cv_.wait(lock, [&] { return checkpoint_wanted_ || checkpoint_stop_; });
    if (checkpoint_stop_) break;
    checkpoint_wanted_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs, never waits for or blocks the writer.
    int rc = sqlite3_wal_checkpoint_v2(conn, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) log::warn("wal checkpoint failed", {{"error", sqlite3_errstr(rc)}});
    checkpoints_.fetch_add(1);
    lock.lock();
  }
  lock.unlock();
  sqlite3_close(conn);
}

void SqliteDatabase::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(rc, msg);
  }
}

namespace {
// The most callers one transaction carries: bounds how long a batch holds the connection (and
// so how long a read waits behind it).
constexpr std::size_t kMaxBatch = 128;
}  // namespace

void SqliteDatabase::transaction(const std::function<void(sqlite3*)>& fn) {
  PendingWrite me{&fn, nullptr};
  std::unique_lock queue_lock(queue_mu_);
  queue_.push_back(&me);
  while (!me.done) {
    if (committing_) {
      queue_cv_.wait(queue_lock);
      continue;
    }
    // Nobody is committing: this caller commits everything queued so far (its own write
    // included, as the queue is served in order).
    committing_ = true;
    std::size_t n = std::min(queue_.size(), kMaxBatch);
    std::vector<PendingWrite*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_lock.unlock();
    commit_batch(batch);
    queue_lock.lock();
    for (PendingWrite* w : batch) w->done = true;
    committing_ = false;
    queue_cv_.notify_all();
  }
  if (me.error) std::rethrow_exception(me.error);
}

void SqliteDatabase::commit_batch(const std::vector<PendingWrite*>& batch) {
  auto fail_all = [&](std::exception_ptr e) {
    for (PendingWrite* w : batch)
      if (!w->error) w->error = e;
  };
  std::lock_guard lock(mu_);
  try {
    exec("BEGIN IMMEDIATE");
  } catch (...) {
    fail_all(std::current_exception());
    return;
  }
  bool single = batch.size() == 1;
  for (PendingWrite* w : batch) {
    try {
      if (!single) exec("SAVEPOINT group_member");
      (*w->fn)(db_);
      if (!single) exec("RELEASE group_member");
    } catch (...) {
      w->error = std::current_exception();
      if (!single && !sqlite3_get_autocommit(db_)) {
        sqlite3_exec(db_, "ROLLBACK TO group_member", nullptr, nullptr, nullptr);
        sqlite3_exec(db_, "RELEASE group_member", nullptr, nullptr, nullptr);
      }
    }
    // Some errors (I/O, disk full) make SQLite roll back the whole transaction by itself: the
    // writes of the members before this one are gone too, so none of the batch may succeed.
    if (sqlite3_get_autocommit(db_)) {
      fail_all(w->error ? w->error : std::make_exception_ptr(SqliteError(SQLITE_ABORT, "transaction rolled back")));
      return;
    }
  }
  if (single && batch.front()->error) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return;
  }
  try {
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    fail_all(std::current_exception());
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
