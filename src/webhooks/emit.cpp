#include "webhooks/emit.hpp"

#include <chrono>

#include "core/clock.hpp"
#include "core/json_writer.hpp"
#include "crypto/random.hpp"

namespace archon::webhooks {

store::OutboxEvent make_event(std::string_view type, boost::json::object data) {
  auto now = std::chrono::system_clock::now();
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  store::OutboxEvent e;
  e.id = "msg_" + crypto::time_ordered_id(millis);
  e.type = std::string(type);
  e.created_at = millis / 1000;
  boost::json::object envelope{{"type", e.type}, {"timestamp", clock::iso8601_utc_millis(now)}, {"data", std::move(data)}};
  e.payload = json::write(envelope);
  return e;
}

void emit(std::string_view type, boost::json::object data) {
  if (!store::EventScope::open()) return;
  store::EventScope::stage(make_event(type, std::move(data)));
}

}  // namespace archon::webhooks
