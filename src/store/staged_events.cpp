#include "store/staged_events.hpp"

namespace archon::store {

struct EventScope::Stage {
  int depth = 0;  // nested scopes share one stage
  std::vector<OutboxEvent> events;
};

namespace {

thread_local EventScope::Stage t_own;
thread_local EventScope::Stage* t_redirected = nullptr;  // another thread's stage, while set

EventScope::Stage& here() { return t_redirected ? *t_redirected : t_own; }

}  // namespace

EventScope::EventScope() { ++here().depth; }

EventScope::~EventScope() {
  auto& stage = here();
  if (--stage.depth == 0) stage.events.clear();
}

bool EventScope::stage(OutboxEvent event) {
  auto& stage = here();
  if (stage.depth == 0) return false;
  stage.events.push_back(std::move(event));
  return true;
}

void EventScope::cancel() { here().events.clear(); }

bool EventScope::open() { return here().depth > 0; }

std::vector<OutboxEvent>& EventScope::staged() { return here().events; }

void EventScope::truncate(std::size_t size) {
  auto& events = here().events;
  if (events.size() > size) events.resize(size);
}

EventScope::Stage* EventScope::current() { return &here(); }

EventScope::Redirect::Redirect(Stage* stage) : previous_(t_redirected) { t_redirected = stage; }

EventScope::Redirect::~Redirect() { t_redirected = previous_; }

}  // namespace archon::store
