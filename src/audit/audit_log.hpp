// Appends authentication events to the hash-chained audit trail, and verifies the chain.
// Never throws on the request path: a failed append is logged (the event still reaches the
// structured log). Thread-safe.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

#include "store/identity_store.hpp"

namespace archon::audit {

// Who asked and from where, for every event.
struct RequestInfo {
  std::string request_id;
  std::string client_address;
  std::string user_agent;
};

class AuditLog {
 public:
  explicit AuditLog(store::IdentityStore& store) : store_(store) {}
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // `details` must never hold a secret (no passwords, tokens or hashes).
  void record(const RequestInfo& info, std::string event, std::string outcome, std::string actor,
              std::optional<std::string> user_id, boost::json::object details = {});

  // From now on record() queues events for a writer thread that appends them in batches, one
  // transaction (one fsync) per batch, instead of one synchronous commit per event on the
  // request path. A full queue makes record() append synchronously (never drops an event).
  // The price: events recorded in the last moments before a kill -9 may be lost; a clean
  // shutdown (the destructor) writes everything.
  //
  // The writer lets a batch gather for up to `batch_window` after its first event (or until
  // kMaxBatchEvents are queued): at request rate (agent_verify) a commit per millisecond or so
  // paid an fsync and rewrote the same index pages each time. So an event reaches the store
  // within about batch_window plus one commit; flush() does not wait for the window.
  void start_writer(std::size_t max_queue = 65536,
                    std::chrono::milliseconds batch_window = std::chrono::milliseconds(5));
  static constexpr std::size_t kMaxBatchEvents = 1024;
  // Returns once every event recorded before the call is in the store (read-your-writes for
  // the audit endpoints).
  void flush();

  struct Verification {
    bool intact = true;
    std::int64_t events = 0;
    std::int64_t first_broken_seq = 0;  // 0 when intact
  };
  Verification verify() const;

  // A page of the trail, newest first, including every event recorded before the call.
  std::pair<std::vector<store::AuditEventRecord>, std::int64_t> list(const store::AuditQuery& query);

 private:
  void append_now(std::vector<store::AuditEventRecord> batch) noexcept;
  void writer_loop();

  store::IdentityStore& store_;
  std::mutex mu_;
  std::condition_variable wake_, drained_;
  std::vector<store::AuditEventRecord> queue_;
  std::uint64_t enqueued_ = 0, written_ = 0;
  std::size_t max_queue_ = 0;
  std::chrono::milliseconds batch_window_{0};
  bool stopping_ = false;
  std::uint64_t flush_wanted_ = 0;  // a flush() is waiting for events up to this count
  std::thread writer_;
};


}  // namespace archon::audit
