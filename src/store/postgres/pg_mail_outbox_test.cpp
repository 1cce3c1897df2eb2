// The mail outbox on a real PostgreSQL: the SQLite suite's cases, end to end through the worker.
#include "store/postgres/pg_mail_outbox.hpp"

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "mail/file_mailer.hpp"
#include "mail/mail_test_support.hpp"
#include "mail/outbox_worker.hpp"
#include "store/postgres/pg_test_server.hpp"

namespace archon::store {
namespace {

struct OutboxDb {
  testing::PgTestDatabase t;
  PgMailOutbox outbox{t.db};

  std::string text(const std::string& sql, std::int64_t id) {
    return t.db.with_connection([&](PgConnection& c) {
      auto r = c.query(sql, sql, {id});  // the SQL is its own statement name
      return !r.empty() && !r.row(0).is_null(0) ? r.row(0).text(0) : std::string("<null>");
    });
  }
};

TEST(PgMailOutbox, EnqueuedMailIsDueAtOnceOldestFirstAndLimited) {
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
  auto rest = t.outbox.due_mail(1000, 10);
  ASSERT_EQ(rest.size(), 1u) << "a and b are leased to the call that claimed them";
  EXPECT_EQ(rest[0].id, c);
  EXPECT_EQ(t.outbox.due_mail(1000 + PgMailOutbox::kLeaseSeconds, 10).size(), 3u)
      << "unmarked rows are due again when their lease ends";
}

TEST(PgMailOutbox, ReleasedMailIsDueAgainAtOnce) {
  OutboxDb t;
  auto a = t.outbox.enqueue_mail({"a@example.com", "s", "b"}, 100);
  ASSERT_EQ(t.outbox.due_mail(100, 10).size(), 1u);
  EXPECT_TRUE(t.outbox.due_mail(101, 10).empty()) << "leased";
  t.outbox.release_mail({a}, 101);
  auto due = t.outbox.due_mail(101, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, a);
}

TEST(PgMailOutbox, TwoInstancesNeverClaimTheSameMessage) {
  auto url = testing::shared_pg_server().create_database();
  PgDatabase first(testing::test_pool_config(url)), second(testing::test_pool_config(url));
  first.migrate();
  PgMailOutbox a(first), b(second);
  for (int i = 0; i < 60; ++i) a.enqueue_mail({"u" + std::to_string(i) + "@example.com", "s", "b"}, 100);
  std::vector<std::int64_t> got_a, got_b;
  auto drain = [](PgMailOutbox& outbox, std::vector<std::int64_t>& got) {
    for (;;) {
      auto batch = outbox.due_mail(100, 7);
      if (batch.empty()) return;
      for (const auto& row : batch) got.push_back(row.id);
    }
  };
  std::thread ta(drain, std::ref(a), std::ref(got_a)), tb(drain, std::ref(b), std::ref(got_b));
  ta.join();
  tb.join();
  std::vector<std::int64_t> all = got_a;
  all.insert(all.end(), got_b.begin(), got_b.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all.size(), 60u);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a message was claimed twice";
}

TEST(PgMailOutbox, FailedMailWaitsForItsNextAttemptAndCountsAttempts) {
  OutboxDb t;
  auto a = t.outbox.enqueue_mail({"a@example.com", "s", "b"}, 100);
  auto b = t.outbox.enqueue_mail({"b@example.com", "s", "b"}, 100);
  t.outbox.mark_mail_failed(a, "connection refused", 160);
  EXPECT_EQ(t.text("SELECT last_error FROM mail_outbox WHERE id = $1", a), "connection refused");

  auto due = t.outbox.due_mail(159, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, b);
  due = t.outbox.due_mail(160, 10);
  ASSERT_EQ(due.size(), 1u) << "b is leased to the call that claimed it";
  EXPECT_EQ(due[0].id, a);
  EXPECT_EQ(due[0].attempts, 1);
}

TEST(PgMailOutbox, SentMailIsNeverDueAgainAndItsBodyIsErased) {
  OutboxDb t;
  auto a = t.outbox.enqueue_mail({"a@example.com", "Verify", "token=secret-single-use"}, 100);
  t.outbox.mark_mail_failed(a, "timeout", 101);
  t.outbox.mark_mail_sent(a, 105);
  EXPECT_TRUE(t.outbox.due_mail(1'000'000, 10).empty());
  EXPECT_EQ(t.text("SELECT body FROM mail_outbox WHERE id = $1", a), "");
  EXPECT_EQ(t.text("SELECT sent_at || ' ' || attempts FROM mail_outbox WHERE id = $1", a), "105 2");
  EXPECT_EQ(t.text("SELECT last_error FROM mail_outbox WHERE id = $1", a), "<null>");
  EXPECT_EQ(t.text("SELECT recipient FROM mail_outbox WHERE id = $1", a), "a@example.com");

  t.outbox.mark_mail_failed(a, "late failure report", 2'000'000);  // a stale mark cannot resurrect it
  EXPECT_EQ(t.text("SELECT attempts FROM mail_outbox WHERE id = $1", a), "2");
  EXPECT_TRUE(t.outbox.due_mail(3'000'000, 10).empty());
}

TEST(PgMailOutbox, MailEnqueuedInsideATransactionRollsBackWithIt) {
  OutboxDb t;
  EXPECT_THROW(t.t.db.transaction([&](PgConnection& c) {
    PgMailOutbox::enqueue_mail_in(c, {"a@example.com", "s", "b"}, 100);
    throw std::runtime_error("the registration failed");
  }),
               std::runtime_error);
  EXPECT_TRUE(t.outbox.due_mail(100, 10).empty());

  auto id = t.t.db.transaction(
      [&](PgConnection& c) { return PgMailOutbox::enqueue_mail_in(c, {"b@example.com", "s", "b"}, 100); });
  auto due = t.outbox.due_mail(100, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, id);
}

TEST(PgMailOutbox, SurvivesANewPool) {
  auto url = testing::shared_pg_server().create_database();
  std::int64_t id = 0;
  {
    PgDatabase db(testing::test_pool_config(url));
    db.migrate();
    id = PgMailOutbox(db).enqueue_mail({"a@example.com", "s", "b"}, 100);
  }
  PgDatabase db(testing::test_pool_config(url));
  auto due = PgMailOutbox(db).due_mail(100, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, id);
}

// PostgreSQL outbox -> worker -> one .eml file per message.
TEST(PgMailOutbox, WorkerDeliversTheOutboxIntoMailFiles) {
  OutboxDb t;
  mail::test_support::TempDir tmp;
  mail::FileMailerOptions options;
  options.directory = tmp.path() / "mail";
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
    return t.text("SELECT sent_at FROM mail_outbox WHERE id = $1", good) != "<null>" &&
           t.text("SELECT last_error FROM mail_outbox WHERE id = $1", bad) != "<null>";
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
  EXPECT_EQ(t.text("SELECT last_error FROM mail_outbox WHERE id = $1", bad), "recipient is not one plain address");
  EXPECT_EQ(t.text("SELECT sent_at FROM mail_outbox WHERE id = $1", bad), "<null>") << "refused, kept, never sent";
}

}  // namespace
}  // namespace archon::store
