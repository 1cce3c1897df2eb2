// Test fixture pieces for the token service: a real SQLite store in a temporary directory,
// a fixed KEK and a clock the test moves.
#pragma once
#include <atomic>
#include <filesystem>
#include <memory>
#include <random>

#include "crypto/key_encryption_key.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sql/sql_token_store.hpp"
#include "store/sqlite/sqlite_sql_database.hpp"

namespace archon::tokens::testing {

struct TempStore {
  TempStore() {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("archon-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir);
    db = std::make_unique<store::SqliteDatabase>((dir / "test.db").string());
    db->migrate();
    sql = std::make_unique<store::SqliteSqlDatabase>(*db);
    store = std::make_unique<store::SqlTokenStore>(*sql);
  }
  ~TempStore() {
    store.reset();
    sql.reset();
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path dir;
  std::unique_ptr<store::SqliteDatabase> db;
  std::unique_ptr<store::SqliteSqlDatabase> sql;  // the dialect layer over db
  std::unique_ptr<store::SqlTokenStore> store;
};

inline crypto::KeyEncryptionKey test_kek(unsigned char fill = 7) {
  std::array<unsigned char, crypto::KeyEncryptionKey::kSize> bytes{};
  bytes.fill(fill);
  return crypto::KeyEncryptionKey::from_bytes(bytes);
}

struct FakeClock {
  std::shared_ptr<std::atomic<std::int64_t>> now = std::make_shared<std::atomic<std::int64_t>>(1'800'000'000);
  std::function<std::int64_t()> fn() const {
    return [n = now] { return n->load(); };
  }
  void advance(std::int64_t seconds) { *now += seconds; }
};

}  // namespace archon::tokens::testing
