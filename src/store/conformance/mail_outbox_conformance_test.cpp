// The mail outbox on both backends: order, leases (PostgreSQL, shared by instances; the embedded
// database has one instance and reads rows without leasing them), retries, erasure after
// sending, rollback with the transaction that queued it, durability, and the worker end to end.
#include <algorithm>
#include <thread>

#include "mail/file_mailer.hpp"
#include "mail/mail_test_support.hpp"
#include "mail/outbox_worker.hpp"
#include "store/conformance/store_conformance.hpp"
#include "store/sql/sql_mail_outbox.hpp"

namespace archon::store::conformance {
namespace {

class MailOutboxConformance : public StoreConformance {
 protected:
  std::string column(const std::string& expr, std::int64_t id) {
    return text("SELECT " + expr + " FROM mail_outbox WHERE id = " + std::to_string(id));
  }
};

TEST_P(MailOutboxConformance, EnqueuedMailIsDueAtOnceOldestFirstAndLimited) {
  auto& outbox = mail_outbox();
  auto a = outbox.enqueue_mail({"a@example.com", "Subject A", "Body A 😀"}, 100);
  auto b = outbox.enqueue_mail({"b@example.com", "Subject B", "Body B"}, 100);
  auto c = outbox.enqueue_mail({"c@example.com", "Subject C", "Body C"}, 101);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);

  EXPECT_TRUE(outbox.due_mail(99, 10).empty()) << "nothing is due before it was enqueued";
  auto due = outbox.due_mail(100, 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, a);
  EXPECT_EQ(due[0].message.recipient, "a@example.com");
  EXPECT_EQ(due[0].message.subject, "Subject A");
  EXPECT_EQ(due[0].message.body, "Body A 😀");
  EXPECT_EQ(due[0].created_at, 100);
  EXPECT_EQ(due[0].attempts, 0);
  EXPECT_EQ(due[1].id, b);

  auto limited = outbox.due_mail(1000, 2);
  ASSERT_EQ(limited.size(), 2u);
  EXPECT_EQ(limited[1].id, b);
  if (!postgres()) {  // one instance, one worker: rows are read, not leased
    EXPECT_EQ(outbox.due_mail(1000, 10).size(), 3u) << "unmarked rows stay due";
    return;
  }
  auto rest = outbox.due_mail(1000, 10);
  ASSERT_EQ(rest.size(), 1u) << "a and b are leased to the call that claimed them";
  EXPECT_EQ(rest[0].id, c);
  EXPECT_EQ(outbox.due_mail(1000 + SqlMailOutbox::kLeaseSeconds, 10).size(), 3u)
      << "unmarked rows are due again when their lease ends";
}

TEST_P(MailOutboxConformance, ReleasedMailIsDueAgainAtOnce) {
  auto& outbox = mail_outbox();
  auto a = outbox.enqueue_mail({"a@example.com", "s", "b"}, 100);
  ASSERT_EQ(outbox.due_mail(100, 10).size(), 1u);
  if (postgres()) {
    EXPECT_TRUE(outbox.due_mail(101, 10).empty()) << "leased";
  }
  outbox.release_mail({a}, 101);
  auto due = outbox.due_mail(101, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, a);
}

TEST_P(MailOutboxConformance, TwoInstancesNeverClaimTheSameMessage) {
  if (!postgres()) GTEST_SKIP() << "the embedded database serves one instance";
  auto second = open_another();
  for (int i = 0; i < 60; ++i) mail_outbox().enqueue_mail({"u" + std::to_string(i) + "@example.com", "s", "b"}, 100);
  std::vector<std::int64_t> got_a, got_b;
  auto drain = [](MailOutboxRepository& outbox, std::vector<std::int64_t>& got) {
    for (;;) {
      auto batch = outbox.due_mail(100, 7);
      if (batch.empty()) return;
      for (const auto& row : batch) got.push_back(row.id);
    }
  };
  std::thread ta(drain, std::ref(mail_outbox()), std::ref(got_a));
  std::thread tb(drain, std::ref(second->mail_outbox()), std::ref(got_b));
  ta.join();
  tb.join();
  std::vector<std::int64_t> all = got_a;
  all.insert(all.end(), got_b.begin(), got_b.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all.size(), 60u);
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a message was claimed twice";
}

TEST_P(MailOutboxConformance, FailedMailWaitsForItsNextAttemptAndCountsAttempts) {
  auto& outbox = mail_outbox();
  auto a = outbox.enqueue_mail({"a@example.com", "s", "b"}, 100);
  auto b = outbox.enqueue_mail({"b@example.com", "s", "b"}, 100);
  outbox.mark_mail_failed(a, "connection refused", 160);
  EXPECT_EQ(column("last_error", a), "connection refused");

  auto due = outbox.due_mail(159, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, b);
  due = outbox.due_mail(160, 10);
  if (!postgres()) {  // not leased: b is still due, in its place in line
    ASSERT_EQ(due.size(), 2u);
    EXPECT_EQ(due[0].id, a) << "a retried message keeps its place in line";
    EXPECT_EQ(due[0].attempts, 1);
    return;
  }
  ASSERT_EQ(due.size(), 1u) << "b is leased to the call that claimed it";
  EXPECT_EQ(due[0].id, a);
  EXPECT_EQ(due[0].attempts, 1);
}

TEST_P(MailOutboxConformance, SentMailIsNeverDueAgainAndItsBodyIsErased) {
  auto& outbox = mail_outbox();
  auto a = outbox.enqueue_mail({"a@example.com", "Verify", "token=secret-single-use"}, 100);
  outbox.mark_mail_failed(a, "timeout", 101);
  outbox.mark_mail_sent(a, 105);
  EXPECT_TRUE(outbox.due_mail(1'000'000, 10).empty());
  EXPECT_EQ(column("body", a), "");
  EXPECT_EQ(column("sent_at", a), "105");
  EXPECT_EQ(column("attempts", a), "2");
  EXPECT_EQ(column("last_error", a), "<null>");
  EXPECT_EQ(column("recipient", a), "a@example.com");

  outbox.mark_mail_failed(a, "late failure report", 2'000'000);  // a stale mark cannot resurrect it
  EXPECT_EQ(column("attempts", a), "2");
  EXPECT_TRUE(outbox.due_mail(3'000'000, 10).empty());
}

TEST_P(MailOutboxConformance, MailEnqueuedInsideATransactionRollsBackWithIt) {
  std::int64_t id = 0;
  with_sql_database([&](sql::Database& db) {
    EXPECT_THROW(db.transaction([&](sql::Connection& c) {
      SqlMailOutbox::enqueue_mail_in(c, {"a@example.com", "s", "b"}, 100);
      throw std::runtime_error("the registration failed");
    }),
                 std::runtime_error);
    id = db.transaction([&](sql::Connection& c) { return SqlMailOutbox::enqueue_mail_in(c, {"b@example.com", "s", "b"}, 100); });
  });
  auto due = mail_outbox().due_mail(100, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, id);
}

TEST_P(MailOutboxConformance, SurvivesReopeningTheDatabase) {
  auto id = mail_outbox().enqueue_mail({"a@example.com", "s", "b"}, 100);
  auto reopened = open_another();
  auto due = reopened->mail_outbox().due_mail(100, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, id);
}

// The outbox -> worker -> one .eml file per message; a refused recipient is kept, never sent.
TEST_P(MailOutboxConformance, WorkerDeliversTheOutboxIntoMailFiles) {
  mail::test_support::TempDir tmp;
  mail::FileMailerOptions options;
  options.directory = tmp.path() / "mail";
  mail::FileMailer mailer(options);
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  auto good = mail_outbox().enqueue_mail({"ada@example.com", "Vérifiez", "Bonjour 😀\n"}, now());
  auto bad = mail_outbox().enqueue_mail({"ada@example.com\r\nBcc: eve@evil.example", "x", "y"}, now());
  mail::OutboxWorkerOptions worker_options;
  worker_options.poll_interval = std::chrono::milliseconds(10);
  mail::OutboxWorker worker(mail_outbox(), mailer, worker_options);
  worker.notify();

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto settled = [&] { return column("sent_at", good) != "<null>" && column("last_error", bad) != "<null>"; };
  while (!settled() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  worker.stop();

  auto files = mail::test_support::files_in(options.directory);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[0].filename().string().ends_with("-" + std::to_string(good) + ".eml"));
  auto parsed = mail::test_support::parse_message(mail::test_support::read_file(files[0]));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(*mail::test_support::decode_quoted_printable(parsed->body), "Bonjour 😀\r\n");
  EXPECT_EQ(column("last_error", bad), "recipient is not one plain address");
  EXPECT_EQ(column("sent_at", bad), "<null>") << "refused, kept, never sent";
}

}  // namespace

ARCHON_STORE_CONFORMANCE(MailOutboxConformance);

}  // namespace archon::store::conformance
