#include "store/sqlite/statement.hpp"

#include <mutex>
#include <unordered_map>
#include <vector>

#include <sqlite3.h>

namespace archon::store {
namespace {
[[noreturn]] void fail(sqlite3* db, int rc, const char* what) {
  throw SqliteError(rc, std::string(what) + ": " + sqlite3_errmsg(db));
}

// Bounds: distinct SQL texts remembered per connection (dynamic SQL past this is prepared each
// time), and idle copies of one text (more only when the same query is open several times).
constexpr std::size_t kMaxTextsPerConnection = 512;
constexpr std::size_t kMaxIdlePerText = 4;

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using IdleStatements = std::vector<sqlite3_stmt*>;
using ConnectionCache = std::unordered_map<std::string, IdleStatements, TextHash, std::equal_to<>>;

// One lock for every connection's cache: statements of one connection are used under that
// connection's lock anyway, so this is only ever briefly contended. Leaked on purpose, so no
// static destruction order question arises at exit.
std::mutex& cache_mutex() {
  static auto* mu = new std::mutex;
  return *mu;
}
std::unordered_map<sqlite3*, ConnectionCache>& caches() {
  static auto* c = new std::unordered_map<sqlite3*, ConnectionCache>;
  return *c;
}
}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  {
    std::lock_guard lock(cache_mutex());
    ConnectionCache& conn = caches()[db];
    auto it = conn.find(sql);
    if (it == conn.end() && conn.size() < kMaxTextsPerConnection) it = conn.emplace(std::string(sql), IdleStatements{}).first;
    if (it != conn.end()) {
      idle_slot_ = &it->second;  // unordered_map nodes never move
      if (!it->second.empty()) {
        stmt_ = it->second.back();
        it->second.pop_back();
        return;
      }
    }
  }
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(db, rc, "prepare failed");
}

Statement::~Statement() {
  if (!stmt_) return;
  // Reset ends the statement's read of the database (an open one would hold back WAL
  // checkpoints); clearing drops bound values, secrets among them, before it sits idle.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (idle_slot_) {
    std::lock_guard lock(cache_mutex());
    auto* idle = static_cast<IdleStatements*>(idle_slot_);
    if (idle->size() < kMaxIdlePerText) {
      idle->push_back(stmt_);
      return;
    }
  }
  sqlite3_finalize(stmt_);
}

void Statement::release_cached(sqlite3* db) noexcept {
  std::lock_guard lock(cache_mutex());
  auto conn = caches().find(db);
  if (conn == caches().end()) return;
  for (auto& [text, idle] : conn->second)
    for (sqlite3_stmt* st : idle) sqlite3_finalize(st);
  caches().erase(conn);
}

std::size_t Statement::cached_count(sqlite3* db) {
  std::lock_guard lock(cache_mutex());
  auto conn = caches().find(db);
  std::size_t n = 0;
  if (conn != caches().end())
    for (const auto& [text, idle] : conn->second) n += idle.size();
  return n;
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (int rc = sqlite3_bind_int64(stmt_, index, value); rc != SQLITE_OK) fail(db_, rc, "bind failed");
  return *this;
}
Statement& Statement::bind(int index, std::string_view text) {
  if (int rc = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      rc != SQLITE_OK)
    fail(db_, rc, "bind failed");
  return *this;
}
Statement& Statement::bind_blob(int index, std::string_view bytes) {
  if (int rc = sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
      rc != SQLITE_OK)
    fail(db_, rc, "bind failed");
  return *this;
}
Statement& Statement::bind_null(int index) {
  if (int rc = sqlite3_bind_null(stmt_, index); rc != SQLITE_OK) fail(db_, rc, "bind failed");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc, "step failed");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }
bool Statement::column_is_integer(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_INTEGER; }
std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }
std::string Statement::column_text(int index) const {
  auto* p = sqlite3_column_text(stmt_, index);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)))
           : std::string();
}
std::string Statement::column_blob(int index) const {
  auto* p = sqlite3_column_blob(stmt_, index);
  return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)))
           : std::string();
}
bool Statement::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

}  // namespace archon::store
