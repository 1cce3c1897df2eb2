// Appends authentication events to the hash-chained audit trail, and verifies the chain.
// Never throws on the request path: a failed append is logged (the event still reaches the
// structured log). Thread-safe.
#pragma once
#include <optional>
#include <string>

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

  // `details` must never hold a secret (no passwords, tokens or hashes).
  void record(const RequestInfo& info, std::string event, std::string outcome, std::string actor,
              std::optional<std::string> user_id, boost::json::object details = {});

  struct Verification {
    bool intact = true;
    std::int64_t events = 0;
    std::int64_t first_broken_seq = 0;  // 0 when intact
  };
  Verification verify() const;

 private:
  store::IdentityStore& store_;
};

boost::json::object to_json(const store::AuditEventRecord& e);

}  // namespace archon::audit
