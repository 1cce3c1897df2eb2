// The connection pool and the libpq helpers against a real PostgreSQL: growth and exhaustion,
// per-connection settings and prepared statements, timeouts that never hang, replacement of
// dead connections, typed round trips, and no password in any message.
#include "store/postgres/pg_pool.hpp"

#include <signal.h>

#include <thread>

#include <gtest/gtest.h>

#include "store/postgres/pg_test_server.hpp"

namespace archon::store {
namespace {

using std::chrono::milliseconds;
using testing::shared_pg_server;
using testing::test_pool_config;

auto elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
}

TEST(PgPool, OpensMinAtStartAndGrowsToMax) {
  PgPool pool(test_pool_config(shared_pg_server().create_database(), 2, 3));
  EXPECT_EQ(pool.size(), 2);
  EXPECT_EQ(pool.idle(), 2);
  {
    auto a = pool.acquire(), b = pool.acquire(), c = pool.acquire();
    EXPECT_EQ(pool.size(), 3);
    EXPECT_EQ(pool.idle(), 0);
  }
  EXPECT_EQ(pool.idle(), 3) << "leases come back";
}

TEST(PgPool, AcquireTimesOutWhenExhausted) {
  auto config = test_pool_config(shared_pg_server().create_database(), 1, 2);
  config.acquire_timeout = milliseconds(300);
  PgPool pool(config);
  auto a = pool.acquire(), b = pool.acquire();
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(pool.acquire(), PgUnavailable);
  EXPECT_GE(elapsed_since(start), milliseconds(290));
  EXPECT_LT(elapsed_since(start), milliseconds(2000));
  try {
    pool.acquire();
  } catch (const StoreUnavailable& e) {  // what the HTTP layer maps to 503
    EXPECT_NE(std::string(e.what()).find("no database connection came free"), std::string::npos);
  }
}

TEST(PgPool, AWaiterGetsTheNextReturnedConnection) {
  PgPool pool(test_pool_config(shared_pg_server().create_database(), 1, 1));
  auto held = std::make_unique<PgPool::Lease>(pool.acquire());
  std::thread releaser([&] {
    std::this_thread::sleep_for(milliseconds(100));
    held.reset();
  });
  auto lease = pool.acquire();
  EXPECT_EQ(lease->exec("SELECT 1").row(0).int64(0), 1);
  releaser.join();
  EXPECT_EQ(pool.size(), 1);
}

TEST(PgPool, EachConnectionCarriesTheApplicationNameAndStatementTimeout) {
  auto config = test_pool_config(shared_pg_server().create_database(), 1, 2);
  config.command_timeout = milliseconds(1234);
  PgPool pool(config);
  auto c = pool.acquire();
  auto r = c->exec("SELECT current_setting('application_name'), current_setting('statement_timeout'), "
                   "current_setting('client_encoding')");
  EXPECT_EQ(r.row(0).text(0), "archon-auth");
  EXPECT_EQ(r.row(0).text(1), "1234ms");
  EXPECT_EQ(r.row(0).text(2), "UTF8");
}

TEST(PgPool, StatementsArePreparedOncePerConnection) {
  PgPool pool(test_pool_config(shared_pg_server().create_database(), 1, 1));
  auto c = pool.acquire();
  EXPECT_EQ(c->query("add", "SELECT $1::bigint + $2::bigint", {std::int64_t{40}, 2}).row(0).int64(0), 42);
  EXPECT_EQ(c->query("add", "SELECT $1::bigint + $2::bigint", {1, 2}).row(0).int64(0), 3);
  EXPECT_EQ(c->exec("SELECT count(*) FROM pg_prepared_statements WHERE name = 'add'").row(0).int64(0), 1);
  EXPECT_THROW(c->query("bad", "SELEKT 1"), PgError);
  EXPECT_EQ(c->query("bad", "SELECT 7").row(0).int64(0), 7) << "a refused statement is not cached";
}

TEST(PgPool, StatementTimeoutIsUnavailableAndTheConnectionStaysUsable) {
  auto config = test_pool_config(shared_pg_server().create_database(), 1, 1);
  config.command_timeout = milliseconds(200);
  PgPool pool(config);
  auto start = std::chrono::steady_clock::now();
  {
    auto c = pool.acquire();
    EXPECT_THROW(c->exec("SELECT pg_sleep(5)"), StoreUnavailable);
    EXPECT_LT(elapsed_since(start), milliseconds(1500));
  }
  auto c = pool.acquire();
  EXPECT_EQ(c->exec("SELECT 1").row(0).int64(0), 1);
}

TEST(PgPool, ASilentServerHitsTheClientDeadlineInsteadOfHanging) {
  auto config = test_pool_config(shared_pg_server().create_database(), 1, 1);
  config.command_timeout = milliseconds(300);
  PgPool pool(config);
  pid_t backend = 0;
  {
    auto c = pool.acquire();
    backend = static_cast<pid_t>(c->exec("SELECT pg_backend_pid()").row(0).int64(0));
  }
  ASSERT_GT(backend, 0);
  kill(backend, SIGSTOP);  // as if the network went dark: the server never answers
  auto start = std::chrono::steady_clock::now();
  {
    auto c = pool.acquire();
    EXPECT_THROW(c->exec("SELECT 1"), PgUnavailable);
  }
  auto waited = elapsed_since(start);
  kill(backend, SIGCONT);
  EXPECT_LT(waited, milliseconds(2000));
  EXPECT_EQ(pool.acquire()->exec("SELECT 1").row(0).int64(0), 1) << "the stuck connection was replaced";
}

TEST(PgPool, AConnectionTheServerDroppedIsReplacedBeforeUse) {
  PgPool pool(test_pool_config(shared_pg_server().create_database(), 1, 1));
  std::int64_t first = 0;
  {
    auto c = pool.acquire();
    first = c->exec("SELECT pg_backend_pid()").row(0).int64(0);
  }
  PgPool other(test_pool_config(pool.config().url, 1, 1));
  other.acquire()->query("kill", "SELECT pg_terminate_backend($1::integer)", {first});
  std::this_thread::sleep_for(milliseconds(100));
  auto c = pool.acquire();
  EXPECT_NE(c->exec("SELECT pg_backend_pid()").row(0).int64(0), first);
  EXPECT_EQ(pool.size(), 1);
}

TEST(PgPool, MessagesNeverContainThePassword) {
  const std::string password = "s3cr3t-Pa55";
  auto& server = shared_pg_server();
  // Nothing listens on this port.
  std::string url = "postgresql://postgres:" + password + "@127.0.0.1:1/archon";
  try {
    PgPool pool(test_pool_config(url, 1, 1));
    ADD_FAILURE() << "connected to a closed port";
  } catch (const PgUnavailable& e) {
    std::string what = e.what();
    EXPECT_EQ(what.find(password), std::string::npos) << what;
    EXPECT_NE(what.find("postgres@127.0.0.1:1/archon"), std::string::npos) << what;
  }
  try {
    PgPool pool(test_pool_config("postgresql://postgres:" + password + "@127.0.0.1:x:y/?bad=%zz", 1, 1));
    ADD_FAILURE() << "a malformed URL was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find(password), std::string::npos) << e.what();
  }
  // A database that does not exist: the server's refusal is relayed, the password is not.
  try {
    PgPool pool(test_pool_config(server.url("no_such_db", password), 1, 1));
    ADD_FAILURE() << "connected to a missing database";
  } catch (const PgUnavailable& e) {
    EXPECT_EQ(std::string(e.what()).find(password), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no_such_db"), std::string::npos) << e.what();
  }
  // With the right database the password is simply not needed (trust): the pool works.
  PgPool pool(test_pool_config(server.url("postgres", password), 1, 1));
  EXPECT_EQ(pool.target(), "postgres@127.0.0.1:" + std::to_string(server.port()) + "/postgres");
}

TEST(PgConnection, TypedParametersAndColumnsRoundTrip) {
  PgPool pool(test_pool_config(shared_pg_server().create_database(), 1, 1));
  auto c = pool.acquire();
  const std::string bytes("\x00\xff\x01\\x'\"", 7);
  auto r = c->query("types",
                    "SELECT $1::bytea, $2::text, $3::bigint, $4::boolean, $5::text",
                    {PgParam::bytea(bytes), "héllo 😀", std::int64_t{-9'000'000'000}, true, std::nullopt});
  PgRow row = r.row(0);
  EXPECT_EQ(row.bytea(0), bytes);
  EXPECT_EQ(row.text(1), "héllo 😀");
  EXPECT_EQ(row.int64(2), -9'000'000'000);
  EXPECT_TRUE(row.boolean(3));
  EXPECT_TRUE(row.is_null(4));
  EXPECT_EQ(row.opt_text(4), std::nullopt);
  EXPECT_THROW(c->query("nul", "SELECT $1::text", {std::string("a\0b", 3)}), PgError) << "never silently cut at NUL";
}

TEST(PgConnection, ATransactionRollsBackUnlessCommitted) {
  PgPool pool(test_pool_config(shared_pg_server().create_database(), 1, 1));
  auto c = pool.acquire();
  c->exec("CREATE TABLE t (v INTEGER PRIMARY KEY)");
  try {
    PgTransaction tx(*c);
    c->exec("INSERT INTO t VALUES (1)");
    c->exec("INSERT INTO t VALUES (1)");  // duplicate: throws
    tx.commit();
  } catch (const PgError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
  }
  EXPECT_TRUE(c->reusable()) << "rolled back, back to idle";
  {
    PgTransaction tx(*c);
    c->exec("INSERT INTO t VALUES (2)");
    tx.commit();
  }
  EXPECT_EQ(c->exec("SELECT string_agg(v::text, ',') FROM t").row(0).text(0), "2");
}

}  // namespace
}  // namespace archon::store
