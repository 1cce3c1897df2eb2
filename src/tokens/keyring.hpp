// The signing keys of every token kind: generated on first start, kept sealed in the store,
// rotated by command or schedule. A new key is published `propagation_delay` before it signs;
// an old key stays published until every token it signed has expired. Readers take an
// immutable snapshot (no lock on the hot path); refresh() swaps in a new one. Thread-safe.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "core/config.hpp"
#include "crypto/key_encryption_key.hpp"
#include "crypto/signing_key.hpp"
#include "crypto/verification_key.hpp"
#include "store/signing_key_repository.hpp"
#include "tokens/token_kind.hpp"

namespace archon::tokens {

using EpochClock = std::function<std::int64_t()>;  // seconds since the epoch
std::int64_t system_epoch_seconds();

struct PublishedKey {
  crypto::VerificationKey key;
  TokenKind kind;
  std::int64_t activates_at;
  std::int64_t published_until;  // INT64_MAX for the newest key of its kind
};

// What the keyring knows at one moment. Immutable once built.
struct KeySnapshot {
  std::unordered_map<std::string, PublishedKey> by_kid;
  std::shared_ptr<const crypto::SigningKey> access_signer;
  std::shared_ptr<const crypto::SigningKey> agent_signer;
  std::string jwks_json;  // {"keys":[...]} of every published key

  const crypto::SigningKey& signer(TokenKind k) const { return k == TokenKind::kAccess ? *access_signer : *agent_signer; }
};

class Keyring {
 public:
  Keyring(store::SigningKeyRepository& repository, const crypto::KeyEncryptionKey& kek, TokensConfig config,
          EpochClock clock = system_epoch_seconds);

  // Loads the keys, creating a first key for any kind that has none (signing at once: nothing
  // can have cached an empty JWKS), rotates kinds whose schedule is due, prunes keys no token
  // can need, and publishes a fresh snapshot. Call at start and every `key_refresh`.
  void refresh();

  // A token names a kid this instance does not know: another instance (or `keys rotate`) may
  // have added it since the last refresh. Refreshes at most once a second, however many
  // unknown kids arrive (forged ones included); true if it refreshed.
  bool refresh_for_unknown_kid();

  // Adds a key that starts signing after the propagation delay (or now, if `immediately`).
  store::SigningKeyRecord rotate(TokenKind kind, bool immediately = false);

  std::shared_ptr<const KeySnapshot> snapshot() const { return snapshot_.load(); }

 private:
  store::SigningKeyRecord create_key(TokenKind kind, std::int64_t activates_at);
  const TokenKindConfig& kind_config(TokenKind k) const { return k == TokenKind::kAccess ? config_.access : config_.agent; }

  store::SigningKeyRepository& repository_;
  const crypto::KeyEncryptionKey& kek_;
  TokensConfig config_;
  EpochClock clock_;
  std::mutex refresh_mu_;  // one refresh or rotation at a time
  std::atomic<std::int64_t> last_unknown_kid_refresh_ms_{0};
  std::atomic<std::shared_ptr<const KeySnapshot>> snapshot_;
  // Decrypted signers by kid, so a refresh does not unseal every key again.
  std::unordered_map<std::string, std::shared_ptr<const crypto::SigningKey>> signers_;
};

}  // namespace archon::tokens
