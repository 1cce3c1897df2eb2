// What one instance tells the others so the state they hold in memory stays true: a user
// record changed, a role's agent grants changed, a token, session or family was revoked.
// Alone (no Redis) there is no one to tell: the base class does nothing and is always coherent.
// The Redis bus (redis_cluster_bus.hpp) publishes these and applies what others publish.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace archon::cluster {

class ClusterBus {
 public:
  virtual ~ClusterBus() = default;

  virtual void user_changed(const std::string& /*user_id*/) {}
  virtual void grants_changed() {}
  // kind: "jti" | "session" | "family"; expires_at: epoch seconds.
  virtual void revoked(std::string_view /*kind*/, const std::string& /*id*/, std::int64_t /*expires_at*/) {}

  // False while this instance may be missing other instances' messages (Redis unreachable):
  // memory must not be trusted then, so caches read through to the database and revocations
  // are looked up there.
  virtual bool coherent() const { return true; }
};

}  // namespace archon::cluster
