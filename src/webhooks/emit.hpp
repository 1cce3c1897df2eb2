// How services announce a change to webhook endpoints: inside a store::EventScope, emit() stages
// the event, and the store's next write transaction on this thread commits it with the change
// (the transactional outbox). The body is the documented envelope {"type", "timestamp", "data"};
// `data` must never hold a secret (no tokens, passwords or hashes). Thread-safe (per thread).
#pragma once
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "store/staged_events.hpp"

namespace archon::webhooks {

// Stages the event in this thread's open scope (none open: nothing happens).
void emit(std::string_view type, boost::json::object data);

// Runs `change` (one synchronous store call) with `events` committing in its transaction, or not
// at all when it rolls back or changes nothing. Never spans a co_await: the scope is per thread.
template <class Change>
auto committing(std::vector<store::OutboxEvent> events, Change&& change) {
  store::EventScope scope;
  for (auto& e : events) store::EventScope::stage(std::move(e));
  return change();
}

// The envelope, for the delivery worker's own events and tests.
store::OutboxEvent make_event(std::string_view type, boost::json::object data);

}  // namespace archon::webhooks
