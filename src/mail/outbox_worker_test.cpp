#include "mail/outbox_worker.hpp"

#include <atomic>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace archon::mail {
namespace {

using namespace std::chrono_literals;

// An in-memory outbox with the repository's contract: due_mail is oldest first, marks count
// attempts. `fail_next_mark_sent` simulates a crash or store error after delivery.
class MemoryOutbox final : public store::MailOutboxRepository {
 public:
  struct Row {
    store::OutboxMessage message;
    std::int64_t next_attempt_at = 0;
    int attempts = 0;
    std::optional<std::int64_t> sent_at;
    std::string last_error;
    std::vector<std::int64_t> failure_schedule;  // next_attempt_at of each failure
  };

  std::int64_t enqueue_mail(const store::OutboxMessage& message, std::int64_t now) override {
    std::lock_guard lock(mu_);
    rows_[++last_id_] = Row{message, now};
    return last_id_;
  }
  std::vector<store::OutboxRow> due_mail(std::int64_t now, int limit) override {
    std::lock_guard lock(mu_);
    if (fail_next_due_mail_.exchange(false)) throw std::runtime_error("database is locked");
    std::vector<store::OutboxRow> out;
    for (auto& [id, row] : rows_)
      if (!row.sent_at && row.next_attempt_at <= now && static_cast<int>(out.size()) < limit)
        out.push_back({id, row.message, 0, row.attempts});
    return out;
  }
  void mark_mail_sent(std::int64_t id, std::int64_t now) override {
    std::lock_guard lock(mu_);
    if (fail_next_mark_sent_.exchange(false)) throw std::runtime_error("disk I/O error");
    rows_[id].sent_at = now;
    ++rows_[id].attempts;
  }
  void mark_mail_failed(std::int64_t id, const std::string& error, std::int64_t next_attempt_at) override {
    std::lock_guard lock(mu_);
    auto& row = rows_[id];
    ++row.attempts;
    row.last_error = error;
    row.next_attempt_at = next_attempt_at;
    row.failure_schedule.push_back(next_attempt_at);
  }

  Row row(std::int64_t id) {
    std::lock_guard lock(mu_);
    return rows_.at(id);
  }
  std::size_t unsent() {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (auto& [id, row] : rows_) n += !row.sent_at;
    return n;
  }
  std::atomic<bool> fail_next_due_mail_{false};
  std::atomic<bool> fail_next_mark_sent_{false};

 private:
  std::mutex mu_;
  std::map<std::int64_t, Row> rows_;
  std::int64_t last_id_ = 0;
};

// Fails while `failing` is set, then succeeds; records every message id it accepted.
class FakeMailer final : public Mailer {
 public:
  DeliveryResult deliver(const store::OutboxMessage&, std::int64_t id) override {
    ++calls;
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (throws) throw std::runtime_error("boom");
    if (failing) return Unexpected{std::string("connection refused")};
    std::lock_guard lock(mu);
    delivered.push_back(id);
    return DeliveryReceipt{"fake:" + std::to_string(id)};
  }
  std::vector<std::int64_t> delivered_ids() {
    std::lock_guard lock(mu);
    return delivered;
  }
  std::atomic<bool> failing{false};
  std::atomic<bool> throws{false};
  std::atomic<int> calls{0};
  std::chrono::milliseconds delay{0};
  std::mutex mu;
  std::vector<std::int64_t> delivered;
};

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

struct Fixture {
  MemoryOutbox outbox;
  FakeMailer mailer;
  std::atomic<std::int64_t> now{1'000'000};
  OutboxWorkerOptions options(std::chrono::milliseconds poll = 10ms) {
    OutboxWorkerOptions o;
    o.poll_interval = poll;
    o.now = [this] { return now.load(); };
    return o;
  }
  std::int64_t enqueue(std::string recipient = "ada@example.com") {
    return outbox.enqueue_mail({std::move(recipient), "Verify", "token inside"}, now);
  }
};

TEST(OutboxWorker, RetryDelayDoublesFromOneSecondUpToTenMinutes) {
  auto delay = [](int failures) { return OutboxWorker::retry_delay(failures, 1s, 10min).count(); };
  EXPECT_EQ(delay(0), 1);
  EXPECT_EQ(delay(1), 1);
  EXPECT_EQ(delay(2), 2);
  EXPECT_EQ(delay(3), 4);
  EXPECT_EQ(delay(10), 512);
  EXPECT_EQ(delay(11), 600);
  EXPECT_EQ(delay(1'000'000), 600);
}

TEST(OutboxWorker, AFailedMessageIsRetriedAfterBackoffAndDeliveredExactlyOnce) {
  Fixture f;
  f.mailer.failing = true;
  auto id = f.enqueue();
  OutboxWorker worker(f.outbox, f.mailer, f.options());
  ASSERT_TRUE(eventually([&] { return f.outbox.row(id).attempts == 1; }));
  auto failed = f.outbox.row(id);
  EXPECT_EQ(failed.next_attempt_at, f.now + 1);
  EXPECT_EQ(failed.last_error, "connection refused");
  std::this_thread::sleep_for(50ms);  // several polls: not due yet, so not retried
  EXPECT_EQ(f.mailer.calls, 1);

  f.mailer.failing = false;
  f.now += 1;
  worker.notify();
  ASSERT_TRUE(eventually([&] { return f.outbox.row(id).sent_at.has_value(); }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(f.mailer.delivered_ids(), std::vector<std::int64_t>{id});
  EXPECT_EQ(f.outbox.row(id).attempts, 2);
}

TEST(OutboxWorker, BackoffGrowsWithEachFailure) {
  Fixture f;
  f.mailer.failing = true;
  auto id = f.enqueue();
  auto start = f.now.load();
  OutboxWorker worker(f.outbox, f.mailer, f.options());
  for (int attempt = 1; attempt <= 4; ++attempt) {
    ASSERT_TRUE(eventually([&] { return f.outbox.row(id).attempts == attempt; }));
    f.now = f.outbox.row(id).next_attempt_at;  // jump to the moment it is due
  }
  auto schedule = f.outbox.row(id).failure_schedule;
  ASSERT_EQ(schedule.size(), 4u);
  EXPECT_EQ(schedule, (std::vector<std::int64_t>{start + 1, start + 1 + 2, start + 1 + 2 + 4, start + 1 + 2 + 4 + 8}));
}

TEST(OutboxWorker, DeliversInEnqueueOrderAcrossBatches) {
  Fixture f;
  for (int i = 0; i < 120; ++i) f.enqueue("user" + std::to_string(i) + "@example.com");
  OutboxWorker worker(f.outbox, f.mailer, f.options(1h));  // batches follow each other, no polling needed
  ASSERT_TRUE(eventually([&] { return f.outbox.unsent() == 0; }));
  auto ids = f.mailer.delivered_ids();
  ASSERT_EQ(ids.size(), 120u);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], static_cast<std::int64_t>(i + 1));
}

TEST(OutboxWorker, NotifyWakesTheWorkerAtOnceAndStopIsPrompt) {
  Fixture f;
  OutboxWorker worker(f.outbox, f.mailer, f.options(1h));
  std::this_thread::sleep_for(20ms);  // the worker is now waiting out its hour
  f.enqueue();
  auto t0 = std::chrono::steady_clock::now();
  worker.notify();
  ASSERT_TRUE(eventually([&] { return f.outbox.unsent() == 0; }, 2s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << "against a poll interval of an hour";

  t0 = std::chrono::steady_clock::now();
  worker.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << "against a poll interval of an hour";
  worker.stop();  // idempotent
}

TEST(OutboxWorker, StoppingMidBatchLeavesTheRestDueInsteadOfLosingThem) {
  Fixture f;
  for (int i = 0; i < 10; ++i) f.enqueue();
  f.mailer.delay = 50ms;
  {
    OutboxWorker worker(f.outbox, f.mailer, f.options());
    ASSERT_TRUE(eventually([&] { return f.mailer.calls >= 2; }));
  }  // the destructor stops after the delivery in progress
  auto delivered = f.mailer.delivered_ids().size();
  EXPECT_LT(delivered, 10u);
  EXPECT_EQ(f.outbox.unsent(), 10 - delivered) << "every delivered message marked, every other still due";

  f.mailer.delay = 0ms;
  OutboxWorker restarted(f.outbox, f.mailer, f.options());
  ASSERT_TRUE(eventually([&] { return f.outbox.unsent() == 0; }));
  EXPECT_EQ(f.mailer.delivered_ids().size(), 10u);
}

TEST(OutboxWorker, AStoreFailureAfterDeliveryMeansADuplicateNeverALoss) {
  Fixture f;
  auto id = f.enqueue();
  f.outbox.fail_next_mark_sent_ = true;
  OutboxWorker worker(f.outbox, f.mailer, f.options());
  ASSERT_TRUE(eventually([&] { return f.outbox.row(id).sent_at.has_value(); }));
  EXPECT_EQ(f.mailer.delivered_ids(), (std::vector<std::int64_t>{id, id}));
}

TEST(OutboxWorker, SurvivesAThrowingMailerAndAnUnavailableStore) {
  Fixture f;
  f.outbox.fail_next_due_mail_ = true;
  f.mailer.throws = true;
  auto id = f.enqueue();
  OutboxWorker worker(f.outbox, f.mailer, f.options());
  ASSERT_TRUE(eventually([&] { return f.outbox.row(id).attempts == 1; }));
  EXPECT_EQ(f.outbox.row(id).last_error, "mailer threw: boom");
  f.mailer.throws = false;
  f.now += 1;
  ASSERT_TRUE(eventually([&] { return f.outbox.row(id).sent_at.has_value(); }));
}

}  // namespace
}  // namespace archon::mail
