// Group commit on a real SQLite file: many concurrent writers share transactions, each one's
// failure stays its own, and every acknowledged write is there (also after reopening).
#include "store/sqlite/sqlite_database.hpp"

#include <atomic>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace archon::store {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  GroupCommitTest() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("archon-gc-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
    open();
    db_->transaction([](sqlite3* db) {
      Statement(db, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)").run();
    });
  }
  ~GroupCommitTest() override {
    db_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void open() { db_ = std::make_unique<SqliteDatabase>((dir_ / "gc.db").string()); }
  void insert(std::int64_t k, const std::string& v) {
    db_->transaction([&](sqlite3* db) { Statement(db, "INSERT INTO t (k, v) VALUES (?, ?)").bind(1, k).bind(2, v).run(); });
  }
  std::int64_t count(const char* where = "1") {
    return db_->with_connection([&](sqlite3* db) {
      Statement st(db, std::string("SELECT COUNT(*) FROM t WHERE ") + where);
      st.step();
      return st.column_int(0);
    });
  }
  // Holds the commit in progress until released, so that writers arriving meanwhile queue up
  // and are committed together as one batch.
  std::thread hold_commit(std::atomic<bool>& holding, std::atomic<bool>& release) {
    return std::thread([&] {
      db_->transaction([&](sqlite3* db) {
        Statement(db, "INSERT INTO t (k, v) VALUES (0, 'holder')").run();
        holding = true;
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      });
    });
  }

  std::filesystem::path dir_;
  std::unique_ptr<SqliteDatabase> db_;
};

TEST_F(GroupCommitTest, EveryAcknowledgedWriteIsCommittedAndSurvivesReopening) {
  constexpr int kThreads = 16, kEach = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) insert(1 + t * kEach + i, "v");
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(count(), kThreads * kEach);
  db_.reset();
  open();
  EXPECT_EQ(count(), kThreads * kEach);
}

TEST_F(GroupCommitTest, AFailingMemberRollsBackOnlyItsOwnWrites) {
  std::atomic<bool> holding{false}, release{false};
  auto holder = hold_commit(holding, release);
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  // These three queue behind the holder and are committed as one batch.
  std::atomic<int> failures{0};
  std::thread good1([&] { insert(1, "a"); });
  std::thread bad([&] {
    try {
      db_->transaction([](sqlite3* db) {
        Statement(db, "INSERT INTO t (k, v) VALUES (2, 'half-written')").run();
        Statement(db, "INSERT INTO t (k, v) VALUES (1000, 'x')").run();
        throw std::runtime_error("business rule refused");
      });
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "business rule refused");
      ++failures;
    }
  });
  std::thread duplicate([&] {
    // A constraint violation: the key the holder already wrote.
    try {
      insert(0, "duplicate");
    } catch (const SqliteError&) {
      ++failures;
    }
  });
  std::thread good2([&] { insert(3, "c"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release = true;
  for (auto* t : {&holder, &good1, &bad, &duplicate, &good2}) t->join();

  EXPECT_EQ(failures.load(), 2);
  EXPECT_EQ(count(), 3);  // holder, 1, 3
  EXPECT_EQ(count("k IN (2, 1000)"), 0);
  EXPECT_EQ(count("k = 0 AND v = 'holder'"), 1);
}

TEST_F(GroupCommitTest, WritersThatArriveDuringACommitShareTheNextOne) {
  static std::atomic<int> commits{0};
  db_->with_connection([](sqlite3* db) {
    return sqlite3_commit_hook(db, [](void*) { ++commits; return 0; }, nullptr);
  });
  std::atomic<bool> holding{false}, release{false};
  auto holder = hold_commit(holding, release);
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::vector<std::thread> writers;
  for (int i = 1; i <= 20; ++i) writers.emplace_back([&, i] { insert(i, "w"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  release = true;
  holder.join();
  for (auto& w : writers) w.join();
  EXPECT_EQ(count(), 21);
  // The holder's commit, then the 20 queued writers in one transaction (one fsync), not 20.
  EXPECT_EQ(commits.load(), 2);
}

TEST_F(GroupCommitTest, ASingleWriterStillRollsBackOnThrow) {
  EXPECT_THROW(db_->transaction([](sqlite3* db) {
    Statement(db, "INSERT INTO t (k, v) VALUES (7, 'x')").run();
    throw std::runtime_error("no");
  }),
               std::runtime_error);
  EXPECT_EQ(count(), 0);
  insert(7, "ok");
  EXPECT_EQ(count(), 1);
}

TEST_F(GroupCommitTest, TheWalIsCheckpointedInTheBackgroundOnceItPassesAThousandPages) {
  EXPECT_EQ(db_->checkpoints_run(), 0u);
  std::string page(3000, 'x');  // about one page a row
  for (int batch = 0; batch < 12; ++batch)
    db_->transaction([&](sqlite3* db) {
      for (int i = 0; i < 100; ++i)
        Statement(db, "INSERT INTO t (k, v) VALUES (?, ?)").bind(1, std::int64_t{1 + batch * 100 + i}).bind(2, page).run();
    });
  for (int i = 0; i < 500 && db_->checkpoints_run() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(db_->checkpoints_run(), 1u);
  EXPECT_EQ(count(), 1200);
  db_.reset();
  open();
  EXPECT_EQ(count(), 1200);
}

}  // namespace
}  // namespace archon::store

namespace archon::store {
namespace {

// Prepared statements are kept per connection and reused; what a reused one carries over must
// be nothing: no bindings, no open read, no rows of the previous use.
TEST_F(GroupCommitTest, StatementsAreReusedWithNoBindingsOrOpenReadLeftOver) {
  insert(1, "one");
  insert(2, "two");
  db_->with_connection([](sqlite3* db) {
    const std::size_t before = Statement::cached_count(db);
    sqlite3_stmt* first = nullptr;
    {
      Statement st(db, "SELECT v FROM t WHERE k = ?");
      st.bind(1, std::int64_t{1});
      ASSERT_TRUE(st.step());
      EXPECT_EQ(st.column_text(0), "one");
      // Left mid-read on purpose: destruction must end the read.
    }
    EXPECT_EQ(Statement::cached_count(db), before + 1);
    EXPECT_EQ(sqlite3_next_stmt(db, nullptr) != nullptr, true);
    for (first = sqlite3_next_stmt(db, nullptr); first; first = sqlite3_next_stmt(db, first))
      EXPECT_FALSE(sqlite3_stmt_busy(first)) << sqlite3_sql(first);
    {
      Statement again(db, "SELECT v FROM t WHERE k = ?");
      EXPECT_EQ(Statement::cached_count(db), before);  // taken out, not prepared anew
      // The binding of the previous use is gone: NULL matches no row.
      EXPECT_FALSE(again.step());
      again.reset();
      again.bind(1, std::int64_t{2});
      ASSERT_TRUE(again.step());
      EXPECT_EQ(again.column_text(0), "two");
      // The same text open twice at once gets a second statement.
      Statement nested(db, "SELECT v FROM t WHERE k = ?");
      nested.bind(1, std::int64_t{1});
      ASSERT_TRUE(nested.step());
      EXPECT_EQ(nested.column_text(0), "one");
    }
    EXPECT_EQ(Statement::cached_count(db), before + 2);
  });
}

TEST_F(GroupCommitTest, ClosingTheDatabaseFinalizesItsCachedStatements) {
  insert(1, "one");
  EXPECT_EQ(count(), 1);
  sqlite3* raw = db_->with_connection([](sqlite3* db) { return db; });
  EXPECT_GT(Statement::cached_count(raw), 0u);
  db_.reset();  // sqlite3_close would fail (SQLITE_BUSY) and leak with statements left unfinalized
  EXPECT_EQ(Statement::cached_count(raw), 0u);
  open();
  EXPECT_EQ(count(), 1);
}

}  // namespace
}  // namespace archon::store
