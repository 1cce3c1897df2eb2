#include "store/staged_events.hpp"

namespace archon::store {
namespace {

struct ThreadStage {
  int depth = 0;  // nested scopes share one stage
  std::vector<OutboxEvent> events;
};
thread_local ThreadStage t_stage;

}  // namespace

EventScope::EventScope() { ++t_stage.depth; }

EventScope::~EventScope() {
  if (--t_stage.depth == 0) t_stage.events.clear();
}

bool EventScope::stage(OutboxEvent event) {
  if (t_stage.depth == 0) return false;
  t_stage.events.push_back(std::move(event));
  return true;
}

void EventScope::cancel() { t_stage.events.clear(); }

bool EventScope::open() { return t_stage.depth > 0; }

std::vector<OutboxEvent>& EventScope::staged() { return t_stage.events; }

void EventScope::truncate(std::size_t size) {
  if (t_stage.events.size() > size) t_stage.events.resize(size);
}

}  // namespace archon::store
