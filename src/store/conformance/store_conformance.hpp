// The store conformance suite's fixture: every test runs once on SQLite and once on a real
// PostgreSQL (the shared throwaway server of store/postgres/pg_test_server.hpp), through the
// repository interfaces only, on a fresh migrated database, so both backends answer the same
// cases with the same test names and count (`ctest -R StoreConformance`). A behaviour one
// backend cannot have says so where the test branches on postgres().
#pragma once
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "store/postgres/pg_database.hpp"
#include "store/postgres/pg_sql_database.hpp"
#include "store/sqlite/sqlite_sql_database.hpp"
#include "store/postgres/pg_test_server.hpp"
#include "store/store_backend.hpp"

namespace archon::store::conformance {

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("archon-conformance-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
    config_.driver = GetParam();
    if (postgres()) {
      config_.url = testing::shared_pg_server().create_database();
      config_.pool_min = 1;
      config_.pool_max = 24;
    }
    backend_ = open_another();
    backend_->migrate();
  }
  void TearDown() override {
    backend_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  bool postgres() const { return GetParam() == "postgres"; }
  // A second instance on the same database, as another server process would open it.
  std::unique_ptr<StoreBackend> open_another() const { return open_store(config_, dir_.string()); }

  IdentityStore& identity() { return backend_->identity(); }
  AgentStore& agents() { return backend_->agents(); }
  TokenStore& tokens() { return backend_->tokens(); }
  MailOutboxRepository& mail_outbox() { return backend_->mail_outbox(); }
  WebhookRepository& webhooks() { return backend_->webhooks(); }

  // The dialect layer on this test's database, opened afresh (for units of work of the test's own).
  template <class Fn>
  void with_sql_database(Fn&& fn) {
    if (postgres()) {
      PgDatabase db(testing::test_pool_config(config_.url, 1, 2));
      PgSqlDatabase sql(db);
      fn(static_cast<sql::Database&>(sql));
      return;
    }
    SqliteDatabase db((dir_ / "archon-auth.db").string());
    SqliteSqlDatabase sql(db);
    fn(static_cast<sql::Database&>(sql));
  }
  // The first column of the first row as text ("<null>" for NULL or no row).
  std::string text(const std::string& query) {
    std::string out = "<null>";
    with_sql_database([&](sql::Database& db) {
      db.read([&](sql::Connection& c) {
        auto r = c.query(sql::Sql(query));
        if (!r.empty() && !r.row(0).is_null(0)) out = r.row(0).text(0);
      });
    });
    return out;
  }

  // Plain SQL beside the repositories, for what only a look at the rows can show (and for
  // tampering with them). The statement must mean the same in both dialects.
  void exec(const std::string& sql) {
    if (postgres()) {
      PgDatabase db(testing::test_pool_config(config_.url, 1, 1));
      db.with_connection([&](PgConnection& c) { c.exec(sql); });
      return;
    }
    with_sqlite([&](sqlite3* db) { ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sql; });
  }
  std::int64_t count(const std::string& sql) {
    if (postgres()) {
      PgDatabase db(testing::test_pool_config(config_.url, 1, 1));
      return db.with_connection([&](PgConnection& c) { return c.exec(sql).row(0).int64(0); });
    }
    std::int64_t n = -1;
    with_sqlite([&](sqlite3* db) {
      sqlite3_stmt* st = nullptr;
      ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
      if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
    });
    return n;
  }

 private:
  template <class Fn>
  void with_sqlite(Fn&& fn) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "archon-auth.db").string().c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    fn(db);
    sqlite3_close(db);
  }

  StoreConfig config_;
  std::filesystem::path dir_;
  std::unique_ptr<StoreBackend> backend_;
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace archon::store::conformance

// Each suite file instantiates its fixture on both backends with this.
#define ARCHON_STORE_CONFORMANCE(Suite) \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::Values("sqlite", "postgres"), \
                           ::archon::store::conformance::backend_name)
