// Delivers the mail outbox off the request path: one background thread takes due messages,
// hands them to the Mailer and records the outcome, retrying failures with exponential backoff.
// notify() and stop() are thread-safe; the repository and mailer must outlive the worker.
//
// Delivery is at-least-once: a message is marked sent only after the Mailer accepted it, so a
// crash (or a failed store write) between the two delivers it again later, never loses it. A
// duplicate verification mail is harmless; a missing one locks a person out. Messages go out
// oldest first; a failing message is retried later without holding back the ones behind it.
// Only one worker may serve a given outbox: due_mail() does not claim rows, so two workers
// would both deliver them.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stop_token>
#include <thread>

#include "mail/mailer.hpp"
#include "store/mail_outbox_repository.hpp"

namespace archon::mail {

struct OutboxWorkerOptions {
  std::chrono::milliseconds poll_interval{200};
  int batch_size = 50;
  std::chrono::seconds first_retry_delay{1};
  std::chrono::seconds max_retry_delay{std::chrono::minutes(10)};
  // Epoch seconds, as the outbox stores them; defaults to the system clock. For tests.
  std::function<std::int64_t()> now;
};

class OutboxWorker {
 public:
  // Starts the thread at once.
  OutboxWorker(store::MailOutboxRepository& outbox, Mailer& mailer, OutboxWorkerOptions options = {});
  // stop().
  ~OutboxWorker();
  OutboxWorker(const OutboxWorker&) = delete;
  OutboxWorker& operator=(const OutboxWorker&) = delete;

  // Polls now instead of at the next interval: call after committing an enqueue.
  void notify();
  // Finishes the delivery in progress (if any), leaves the rest for the next start, and joins.
  // Idempotent, from any thread but the worker's own (so not from inside the Mailer).
  void stop();

  // The wait before the next attempt of a message that has failed `failed_attempts` times
  // (counting this failure): first, 2x first, 4x first ... capped at max.
  static std::chrono::seconds retry_delay(int failed_attempts, std::chrono::seconds first,
                                          std::chrono::seconds max) noexcept;

 private:
  void run(std::stop_token stop);
  // Delivers one batch; true when it was full and more may be due right away.
  bool deliver_due_batch(const std::stop_token& stop);
  void deliver_one(const store::OutboxRow& row);

  store::MailOutboxRepository& outbox_;
  Mailer& mailer_;
  OutboxWorkerOptions options_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  bool notified_ = false;  // guarded by mutex_; a notify() between polls is never lost
  std::once_flag stopped_;
  std::jthread thread_;  // last, so it is joined before anything its thread uses is destroyed
};

}  // namespace archon::mail
