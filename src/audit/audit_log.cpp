#include "audit/audit_log.hpp"

#include <algorithm>
#include <chrono>

#include <boost/json/parse.hpp>

#include "core/clock.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"

namespace archon::audit {

void AuditLog::record(const RequestInfo& info, std::string event, std::string outcome, std::string actor,
                      std::optional<std::string> user_id, boost::json::object details) {
  store::AuditEventRecord e;
  e.at = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  e.event = std::move(event);
  e.outcome = std::move(outcome);
  e.actor = std::move(actor);
  e.user_id = std::move(user_id);
  e.request_id = info.request_id;
  e.client_address = info.client_address;
  e.user_agent = info.user_agent;
  e.details = json::write(details);
  // The trail itself is the hash-chained table; the log line is an operator's echo of it. An
  // allowed capability check is the one event that comes at request rate (a tool server asks
  // before every action), so its echo is debug; denials and every account event stay info.
  bool routine = e.event == "agent_verify" && e.outcome == "allowed";
  auto level = routine ? log::Level::kDebug : log::Level::kInfo;
  if (log::enabled(level))
    log::write(level, "audit",
               {{"event", e.event},
                {"outcome", e.outcome},
                {"actor", e.actor},
                {"user_id", e.user_id ? boost::json::value(*e.user_id) : nullptr},
                {"request_id", e.request_id}});
  {
    std::lock_guard lock(mu_);
    if (writer_.joinable() && queue_.size() < max_queue_) {
      queue_.push_back(std::move(e));
      ++enqueued_;
      // The writer needs waking for the first event of a batch and when the batch is full;
      // in between it is waiting out the window anyway (saves a futex call per event).
      if (queue_.size() == 1 || queue_.size() == kMaxBatchEvents) wake_.notify_one();
      return;
    }
  }
  std::vector<store::AuditEventRecord> one;
  one.push_back(std::move(e));
  append_now(std::move(one));
}

void AuditLog::append_now(std::vector<store::AuditEventRecord> batch) noexcept {
  const std::size_t n = batch.size();
  try {
    store_.append_audit_batch(std::move(batch));
  } catch (const std::exception& ex) {
    log::error("audit append failed", {{"error", ex.what()}, {"events", n}});
  }
}

void AuditLog::start_writer(std::size_t max_queue, std::chrono::milliseconds batch_window) {
  std::lock_guard lock(mu_);
  if (writer_.joinable()) return;
  max_queue_ = max_queue;
  batch_window_ = batch_window;
  writer_ = std::thread([this] { writer_loop(); });
}

void AuditLog::writer_loop() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is written
    // Let the batch gather; a flush(), a full batch or shutdown cuts the wait short.
    if (batch_window_.count() > 0)
      wake_.wait_for(lock, batch_window_, [&] {
        return stopping_ || queue_.size() >= kMaxBatchEvents || flush_wanted_ > written_;
      });
    std::vector<store::AuditEventRecord> batch;
    batch.swap(queue_);
    lock.unlock();
    const std::size_t n = batch.size();
    append_now(std::move(batch));
    lock.lock();
    written_ += n;
    drained_.notify_all();
  }
}

void AuditLog::flush() {
  std::unique_lock lock(mu_);
  const std::uint64_t target = enqueued_;
  if (target > written_) {
    flush_wanted_ = std::max(flush_wanted_, target);
    wake_.notify_one();
  }
  drained_.wait(lock, [&] { return written_ >= target || !writer_.joinable(); });
}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    wake_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
}

AuditLog::Verification AuditLog::verify() const {
  Verification v;
  std::string prev(32, '\0');
  for (const auto& e : store_.all_audit_events()) {
    ++v.events;
    if (e.prev_hash != prev || store::audit_event_hash(e) != e.hash) {
      v.intact = false;
      v.first_broken_seq = e.seq;
      return v;
    }
    prev = e.hash;
  }
  return v;
}

std::pair<std::vector<store::AuditEventRecord>, std::int64_t> AuditLog::list(const store::AuditQuery& query) {
  flush();  // events recorded by earlier requests are readable now
  return store_.list_audit(query);
}

}  // namespace archon::audit
