// PgDatabase against a real PostgreSQL: migrations (once, however many instances race), ping,
// transaction retry, and an outage: the server stops mid-service, calls fail fast with
// StoreUnavailable, and the same pool serves again once the server is back.
#include "store/postgres/pg_database.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "core/embedded_assets.hpp"
#include "store/postgres/pg_sql_database.hpp"
#include "store/sql/sql_identity_store.hpp"
#include "store/postgres/pg_test_server.hpp"

namespace archon::store {
namespace {

using std::chrono::milliseconds;
using testing::shared_pg_server;
using testing::test_pool_config;

int embedded_migrations() { return static_cast<int>(assets::list("migrations/postgres/").size()); }

TEST(PgDatabase, MigratesOnceAndRecordsEachVersion) {
  ASSERT_GE(embedded_migrations(), 3);
  PgDatabase db(test_pool_config(shared_pg_server().create_database()));
  EXPECT_EQ(db.schema_version(), 0) << "nothing applied yet";
  EXPECT_EQ(db.migrate(), embedded_migrations());
  EXPECT_EQ(db.migrate(), 0);
  EXPECT_EQ(db.schema_version(), embedded_migrations());
  auto names = db.with_connection([](PgConnection& c) {
    std::vector<std::string> out;
    for (auto row : c.exec("SELECT name FROM schema_migrations ORDER BY version")) out.push_back(row.text(0));
    return out;
  });
  EXPECT_EQ(names.front(), "0001_signing_keys.sql");
  EXPECT_EQ(db.with_connection([](PgConnection& c) { return c.exec("SELECT count(*) FROM roles").row(0).int64(0); }),
            3);
}

TEST(PgDatabase, ConcurrentMigrationsFromThreePoolsApplyEachVersionOnce) {
  std::string url = shared_pg_server().create_database();
  std::vector<std::unique_ptr<PgDatabase>> instances;
  for (int i = 0; i < 3; ++i) instances.push_back(std::make_unique<PgDatabase>(test_pool_config(url, 1, 2)));
  std::atomic<int> applied{0}, failed{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (auto& db : instances)
    threads.emplace_back([&, d = db.get()] {
      while (!go) std::this_thread::yield();
      try {
        applied += d->migrate();
      } catch (const std::exception& e) {
        ++failed;
        ADD_FAILURE() << e.what();
      }
    });
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(applied.load(), embedded_migrations()) << "each version applied by exactly one instance";
  for (auto& db : instances) EXPECT_EQ(db->schema_version(), embedded_migrations());
  EXPECT_EQ(instances[0]->with_connection(
                [](PgConnection& c) { return c.exec("SELECT count(*) FROM schema_migrations").row(0).int64(0); }),
            embedded_migrations());
}

TEST(PgDatabase, PingMeasuresARoundTrip) {
  PgDatabase db(test_pool_config(shared_pg_server().create_database()));
  auto latency = db.ping();
  ASSERT_TRUE(latency) << latency.error();
  EXPECT_GT(latency->count(), 0);
}

TEST(PgDatabase, SerializationFailuresAndDeadlocksAreRetried) {
  PgDatabase db(test_pool_config(shared_pg_server().create_database()));
  int calls = 0;
  int result = db.transaction([&](PgConnection& c) {
    if (++calls < 3) throw PgError(calls == 1 ? "40001" : "40P01", "conflict");
    return static_cast<int>(c.exec("SELECT 5").row(0).int64(0));
  });
  EXPECT_EQ(result, 5);
  EXPECT_EQ(calls, 3);
  calls = 0;
  EXPECT_THROW(db.transaction([&](PgConnection&) {
    ++calls;
    throw PgError("23505", "duplicate");
  }),
               PgError);
  EXPECT_EQ(calls, 1) << "other errors are not retried";
}

TEST(PgDatabase, RealSerializationConflictsResolveByRetry) {
  PgDatabase db(test_pool_config(shared_pg_server().create_database(), 1, 8));
  db.with_connection(
      [](PgConnection& c) { c.exec("CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0)"); });
  std::vector<std::thread> threads;
  std::atomic<int> gave_up{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) try {
          db.transaction(
              [](PgConnection& c) {
                auto n = c.query("counter_get", "SELECT n FROM counter").row(0).int64(0);
                c.query("counter_set", "UPDATE counter SET n = $1", {n + 1});
              },
              PgIsolation::kRepeatableRead);
        } catch (const PgError&) {
          ++gave_up;
        }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(gave_up.load(), 0);
  EXPECT_EQ(db.with_connection([](PgConnection& c) { return c.exec("SELECT n FROM counter").row(0).int64(0); }),
            20 - gave_up.load())
      << "no lost update: every conflict was retried";
}

TEST(PgDatabaseOutage, CallsFailFastWhileTheServerIsDownAndResumeAfterARestart) {
  testing::PgTestServer server;  // its own server: stopping it must not disturb other tests
  auto config = test_pool_config(server.create_database(), 2, 4);
  config.command_timeout = milliseconds(1000);
  config.acquire_timeout = milliseconds(1000);
  PgDatabase db(config);
  db.migrate();
  PgSqlDatabase sql(db);
  SqlIdentityStore store(sql);
  ASSERT_FALSE(store.find_user_by_id("nobody"));

  server.stop("immediate");
  for (int i = 0; i < 5; ++i) {  // every pooled connection is dead; none may hang
    auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(store.find_user_by_id("nobody"), StoreUnavailable) << i;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(3000)) << i;
  }
  auto ping = db.ping();
  ASSERT_FALSE(ping);
  EXPECT_NE(ping.error().find("database query failed"), std::string::npos) << ping.error();

  server.start();
  EXPECT_FALSE(store.find_user_by_id("nobody")) << "the same pool reconnects by itself";
  EXPECT_TRUE(db.ping());
  EXPECT_LE(db.pool().size(), 4);
}

TEST(PgDatabaseOutage, ARestartWhileConnectionsSitIdleIsInvisibleToTheNextCaller) {
  testing::PgTestServer server;
  PgDatabase db(test_pool_config(server.create_database(), 3, 3));
  db.migrate();
  server.stop("immediate");
  server.start();
  std::this_thread::sleep_for(milliseconds(50));
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(db.ping()) << i << ": dead idle connections are replaced, not handed out";
}

}  // namespace
}  // namespace archon::store
