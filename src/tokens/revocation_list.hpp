// Deny-lists of revoked token ids (jti), sessions and refresh/agent families. Checked on every
// use of a token, from memory; written through to the store so a restart forgets nothing.
// Entries drop once what they revoke would have expired anyway. Thread-safe.
#pragma once
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cluster/cluster_bus.hpp"
#include "store/revocation_repository.hpp"
#include "tokens/keyring.hpp"

namespace archon::tokens {

enum class RevocationSubject { kJti, kSession, kFamily };

class RevocationList {
 public:
  RevocationList(store::RevocationRepository& repository, EpochClock clock = system_epoch_seconds);

  // Loads live revocations from the store (start-up, and to pick up other writers).
  void load();
  // Durable before it returns: the store first, then memory, then the other instances.
  void revoke(RevocationSubject subject, const std::string& id, std::int64_t expires_at);
  // From memory while the bus is coherent; from the store while it may have missed messages.
  bool is_revoked(RevocationSubject subject, std::string_view id) const;
  // Another instance revoked `id` (already durable): memory only.
  void remember(std::string_view kind, const std::string& id, std::int64_t expires_at);
  // Start-up only, before serving.
  void set_bus(cluster::ClusterBus* bus) { bus_ = bus; }
  // Forgets expired entries in memory and in the store.
  void prune();
  std::size_t size() const;

 private:
  using Map = std::unordered_map<std::string, std::int64_t>;  // id -> expires_at
  Map& map_for(RevocationSubject s) { return maps_[static_cast<int>(s)]; }
  const Map& map_for(RevocationSubject s) const { return maps_[static_cast<int>(s)]; }

  store::RevocationRepository& repository_;
  EpochClock clock_;
  cluster::ClusterBus* bus_ = nullptr;
  mutable std::shared_mutex mu_;
  Map maps_[3];
};

}  // namespace archon::tokens
