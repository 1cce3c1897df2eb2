#include "crypto/random.hpp"

#include "store/identity_store.hpp"

namespace archon::store {

std::string audit_event_hash(const AuditEventRecord& e) {
  // Length-prefixed fields: no two different events serialize to the same bytes.
  std::string buf = e.prev_hash;
  auto field = [&](const std::string& s) {
    buf += std::to_string(s.size());
    buf += ':';
    buf += s;
  };
  field(std::to_string(e.seq));
  field(std::to_string(e.at));
  field(e.event);
  field(e.outcome);
  field(e.actor);
  field(e.user_id.value_or(""));
  field(e.request_id);
  field(e.client_address);
  field(e.user_agent);
  field(e.details);
  return crypto::sha256(buf);
}

}  // namespace archon::store
