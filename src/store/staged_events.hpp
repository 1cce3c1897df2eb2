// The transactional outbox's front half: events that must commit together with the change that
// caused them (a webhook must never announce a change that rolled back, nor miss one that
// committed). A service opens an EventScope around the store call that makes the change and
// stages its events there, before the call or from inside a decision the store calls back; the
// next write transaction on this thread writes them just before it commits (sql::Database does
// it), and a transaction that rolls back writes none. Staging is per thread; a backend that runs
// a caller's unit of work on another thread (SQLite's group commit runs every queued caller's
// work on the committing thread) points that thread at the caller's stage with a Redirect.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace archon::store {

struct OutboxEvent {
  std::string id;       // "msg_..." : the webhook-id receivers deduplicate on
  std::string type;     // "user.registered"
  std::int64_t created_at = 0;
  std::string payload;  // the JSON body sent, as is
};

class EventScope {
 public:
  EventScope();
  ~EventScope();  // drops what no transaction took
  EventScope(const EventScope&) = delete;
  EventScope& operator=(const EventScope&) = delete;

  // Adds an event to this thread's open scope; without one the event is dropped (no service
  // asked for it to be delivered) and false is returned.
  static bool stage(OutboxEvent event);
  // For a store primitive that turned out to change nothing (a duplicate, a used token): what
  // was staged announced a change that did not happen, so it is dropped.
  static void cancel();
  // For the database: whether a scope is open, what is staged, and taking it once written.
  static bool open();
  static std::vector<OutboxEvent>& staged();
  static void truncate(std::size_t size);

  // This thread's stage, to hand to the thread that runs its unit of work.
  struct Stage;
  static Stage* current();
  // While it lives, this thread stages into (and cancels and truncates) `stage`, another thread's.
  class Redirect {
   public:
    explicit Redirect(Stage* stage);
    ~Redirect();
    Redirect(const Redirect&) = delete;
    Redirect& operator=(const Redirect&) = delete;

   private:
    Stage* previous_;
  };
};

}  // namespace archon::store
