#include "store/sqlite/sqlite_mail_outbox.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "mail/file_mailer.hpp"
#include "mail/mail_test_support.hpp"
#include "mail/outbox_worker.hpp"

namespace archon::store {
namespace {

// Applies the repository's SQL migrations from the source tree (the embedded copies exist only
// in a CMake build), so these tests run against the real schema.
void apply_migrations_from_source(SqliteDatabase& db) {
  std::vector<std::filesystem::path> files;
  auto dir = std::filesystem::path(ARCHON_SOURCE_DIR) / "src" / "store" / "sqlite" / "migrations";
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".sql") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  for (const auto& file : files) {
    std::ostringstream sql;
    sql << std::ifstream(file).rdbuf();
    db.transaction([&](sqlite3* c) {
      char* err = nullptr;
      int rc = sqlite3_exec(c, sql.str().c_str(), nullptr, nullptr, &err);
      std::string msg = err ? err : "";
      sqlite3_free(err);
      if (rc != SQLITE_OK) throw SqliteError(rc, file.filename().string() + ": " + msg);
    });
  }
}

struct OutboxDb {
  mail::test_support::TempDir tmp;
  SqliteDatabase db{(tmp.path() / "archon.db").string()};
  SqliteMailOutbox outbox{db};
  OutboxDb() { apply_migrations_from_source(db); }

  std::string text(const std::string& sql, std::int64_t id) {
    return db.with_connection([&](sqlite3* c) {
      Statement st(c, sql);
      st.bind(1, id);
      return st.step() && !st.column_is_null(0) ? st.column_text(0) : std::string("<null>");
    });
  }
};

TEST(SqliteMailOutbox, EnqueuedMailIsDueAtOnceOldestFirstAndLimited) {
  OutboxDb t;
  auto a = t.outbox.enqueue_mail({"a@example.com", "Subject A", "Body A 😀"}, 100);
  auto b = t.outbox.enqueue_mail({"b@example.com", "Subject B", "Body B"}, 100);
  auto c = t.outbox.enqueue_mail({"c@example.com", "Subject C", "Body C"}, 101);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);

  EXPECT_TRUE(t.outbox.due_mail(99, 10).empty()) << "nothing is due before it was enqueued";
  auto due = t.outbox.due_mail(100, 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, a);
  EXPECT_EQ(due[0].message.recipient, "a@example.com");
  EXPECT_EQ(due[0].message.subject, "Subject A");
  EXPECT_EQ(due[0].message.body, "Body A 😀");
  EXPECT_EQ(due[0].created_at, 100);
  EXPECT_EQ(due[0].attempts, 0);
  EXPECT_EQ(due[1].id, b);

  auto limited = t.outbox.due_mail(1000, 2);
  ASSERT_EQ(limited.size(), 2u);
  EXPECT_EQ(limited[1].id, b);
  EXPECT_EQ(t.outbox.due_mail(1000, 10).size(), 3u);
}

TEST(SqliteMailOutbox, FailedMailWaitsForItsNextAttemptAndCountsAttempts) {
  OutboxDb t;
  auto a = t.outbox.enqueue_mail({"a@example.com", "s", "b"}, 100);
  auto b = t.outbox.enqueue_mail({"b@example.com", "s", "b"}, 100);
  t.outbox.mark_mail_failed(a, "connection refused", 160);
  EXPECT_EQ(t.text("SELECT last_error FROM mail_outbox WHERE id = ?", a), "connection refused");

  auto due = t.outbox.due_mail(159, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, b);
  due = t.outbox.due_mail(160, 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, a) << "a retried message keeps its place in line";
  EXPECT_EQ(due[0].attempts, 1);
}

TEST(SqliteMailOutbox, SentMailIsNeverDueAgainAndItsBodyIsErased) {
  OutboxDb t;
  auto a = t.outbox.enqueue_mail({"a@example.com", "Verify", "token=secret-single-use"}, 100);
  t.outbox.mark_mail_failed(a, "timeout", 101);
  t.outbox.mark_mail_sent(a, 105);
  EXPECT_TRUE(t.outbox.due_mail(1'000'000, 10).empty());
  EXPECT_EQ(t.text("SELECT body FROM mail_outbox WHERE id = ?", a), "");
  EXPECT_EQ(t.text("SELECT sent_at || ' ' || attempts FROM mail_outbox WHERE id = ?", a), "105 2");
  EXPECT_EQ(t.text("SELECT last_error FROM mail_outbox WHERE id = ?", a), "<null>");
  EXPECT_EQ(t.text("SELECT recipient FROM mail_outbox WHERE id = ?", a), "a@example.com");

  t.outbox.mark_mail_failed(a, "late failure report", 2'000'000);  // a stale mark cannot resurrect it
  EXPECT_EQ(t.text("SELECT attempts FROM mail_outbox WHERE id = ?", a), "2");
  EXPECT_TRUE(t.outbox.due_mail(3'000'000, 10).empty());
}

TEST(SqliteMailOutbox, MailEnqueuedInsideATransactionRollsBackWithIt) {
  OutboxDb t;
  EXPECT_THROW(t.db.transaction([&](sqlite3* c) {
    SqliteMailOutbox::enqueue_mail_in(c, {"a@example.com", "s", "b"}, 100);
    throw std::runtime_error("the registration failed");
  }),
               std::runtime_error);
  EXPECT_TRUE(t.outbox.due_mail(100, 10).empty());

  std::int64_t id = 0;
  t.db.transaction([&](sqlite3* c) { id = SqliteMailOutbox::enqueue_mail_in(c, {"b@example.com", "s", "b"}, 100); });
  auto due = t.outbox.due_mail(100, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, id);
}

TEST(SqliteMailOutbox, SurvivesReopeningTheDatabase) {
  mail::test_support::TempDir tmp;
  auto path = (tmp.path() / "archon.db").string();
  std::int64_t id = 0;
  {
    SqliteDatabase db(path);
    apply_migrations_from_source(db);
    id = SqliteMailOutbox(db).enqueue_mail({"a@example.com", "s", "b"}, 100);
  }
  SqliteDatabase db(path);
  auto due = SqliteMailOutbox(db).due_mail(100, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, id);
}

// The embedded default end to end: SQLite outbox -> worker -> one .eml file per message.
TEST(SqliteMailOutbox, WorkerDeliversTheOutboxIntoMailFiles) {
  OutboxDb t;
  mail::FileMailerOptions options;
  options.directory = t.tmp.path() / "mail";
  mail::FileMailer mailer(options);
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  auto good = t.outbox.enqueue_mail({"ada@example.com", "Vérifiez", "Bonjour 😀\n"}, now());
  auto bad = t.outbox.enqueue_mail({"ada@example.com\r\nBcc: eve@evil.example", "x", "y"}, now());
  mail::OutboxWorkerOptions worker_options;
  worker_options.poll_interval = std::chrono::milliseconds(10);
  mail::OutboxWorker worker(t.outbox, mailer, worker_options);
  worker.notify();

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto settled = [&] {
    return t.text("SELECT sent_at FROM mail_outbox WHERE id = ?", good) != "<null>" &&
           t.text("SELECT last_error FROM mail_outbox WHERE id = ?", bad) != "<null>";
  };
  while (!settled() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  worker.stop();

  auto files = mail::test_support::files_in(options.directory);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[0].filename().string().ends_with("-" + std::to_string(good) + ".eml"));
  auto parsed = mail::test_support::parse_message(mail::test_support::read_file(files[0]));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(*mail::test_support::decode_quoted_printable(parsed->body), "Bonjour 😀\r\n");
  EXPECT_EQ(t.text("SELECT last_error FROM mail_outbox WHERE id = ?", bad), "recipient is not one plain address");
  EXPECT_EQ(t.text("SELECT sent_at FROM mail_outbox WHERE id = ?", bad), "<null>") << "refused, kept, never sent";
}

}  // namespace
}  // namespace archon::store
