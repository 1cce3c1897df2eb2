#include "mail/outbox_worker.hpp"

#include <algorithm>
#include <exception>
#include <string>

#include "core/log.hpp"
#include "mail/message_format.hpp"

namespace archon::mail {
namespace {

constexpr std::size_t kMaxStoredError = 500;

std::int64_t system_epoch_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

boost::json::object message_fields(const store::OutboxRow& row) {
  return {{"message_id", row.id},
          {"recipient_domain", std::string(address_domain(row.message.recipient))},
          {"attempt", row.attempts + 1}};
}

}  // namespace

OutboxWorker::OutboxWorker(store::MailOutboxRepository& outbox, Mailer& mailer, OutboxWorkerOptions options)
    : outbox_(outbox), mailer_(mailer), options_(std::move(options)) {
  if (!options_.now) options_.now = system_epoch_seconds;
  if (options_.batch_size < 1) options_.batch_size = 1;
  thread_ = std::jthread([this](std::stop_token stop) { run(std::move(stop)); });
}

OutboxWorker::~OutboxWorker() { stop(); }

void OutboxWorker::notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  wake_.notify_one();
}

void OutboxWorker::stop() {
  std::call_once(stopped_, [this] {
    thread_.request_stop();  // also wakes the wait in run()
    thread_.join();
  });
}

std::chrono::seconds OutboxWorker::retry_delay(int failed_attempts, std::chrono::seconds first,
                                               std::chrono::seconds max) noexcept {
  std::chrono::seconds delay = first;
  for (int i = 1; i < failed_attempts && delay < max; ++i) delay *= 2;  // no shift overflow
  return std::min(delay, max);
}

void OutboxWorker::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    bool more_due = false;
    try {
      more_due = deliver_due_batch(stop);
    } catch (const std::exception& e) {
      // The store is unavailable (busy, disk full...): nothing was lost, try at the next poll.
      log::error("mail outbox poll failed", {{"error", e.what()}});
    }
    if (more_due) continue;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, stop, options_.poll_interval, [this] { return notified_; });
    notified_ = false;
  }
}

bool OutboxWorker::deliver_due_batch(const std::stop_token& stop) {
  auto batch = outbox_.due_mail(options_.now(), options_.batch_size);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (stop.stop_requested()) {
      // The rest are due again at once (for another instance, or the next start), not when
      // their lease would have ended.
      std::vector<std::int64_t> unsent;
      for (std::size_t j = i; j < batch.size(); ++j) unsent.push_back(batch[j].id);
      try {
        outbox_.release_mail(unsent, options_.now());
      } catch (const std::exception& e) {
        log::warn("could not hand back claimed mail; it is due again when its lease ends", {{"error", e.what()}});
      }
      return false;
    }
    deliver_one(batch[i]);
  }
  return static_cast<int>(batch.size()) >= options_.batch_size;
}

void OutboxWorker::deliver_one(const store::OutboxRow& row) {
  DeliveryResult result = Unexpected{std::string("mailer threw")};
  try {
    result = mailer_.deliver(row.message, row.id);
  } catch (const std::exception& e) {
    result = Unexpected{std::string("mailer threw: ") + e.what()};
  } catch (...) {
  }

  if (result) {
    boost::json::object fields = message_fields(row);
    fields["location"] = result->location;
    try {
      outbox_.mark_mail_sent(row.id, options_.now());
    } catch (const std::exception& e) {
      // At-least-once: still due, so it goes out again. A duplicate beats a lost message.
      fields["error"] = e.what();
      log::error("mail delivered but not marked sent; it will be delivered again", std::move(fields));
      throw;
    }
    log::info("mail delivered", std::move(fields));
    return;
  }

  std::string reason = result.error().substr(0, kMaxStoredError);
  auto delay = retry_delay(row.attempts + 1, options_.first_retry_delay, options_.max_retry_delay);
  boost::json::object fields = message_fields(row);
  fields["error"] = reason;
  fields["retry_in_s"] = delay.count();
  log::warn("mail delivery failed", std::move(fields));
  outbox_.mark_mail_failed(row.id, reason, options_.now() + delay.count());
}

}  // namespace archon::mail
