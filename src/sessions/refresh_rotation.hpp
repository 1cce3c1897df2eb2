// Refresh-token rotation with reuse detection (OAuth 2.0 Security BCP, RFC 9700 §4.14.2): each
// refresh token is used once and replaced by a successor in the same family (the session). The
// immediate predecessor presented again within the grace window, while its successor is still
// the newest, is a client retrying a lost answer and gets that same successor back; any other
// replay is theft and ends the session. The rules are a plain function of the family's state
// (unit-tested with no database); rotate_refresh_token runs them in the store's one-transaction
// primitive.
#pragma once
#include <cstdint>
#include <string>

#include "store/identity_store.hpp"

namespace archon::sessions {

struct RefreshOutcome {
  enum class Kind { kRotated, kGraceReplay, kReuseDetected, kInvalid, kSessionEnded };
  Kind kind = Kind::kInvalid;
  std::string session_id;
  std::string user_id;
  std::string replay_sealed_child;  // kGraceReplay: the successor, sealed
  std::int64_t session_absolute_expires_at = 0;
};

struct RefreshPolicy {
  std::int64_t grace_seconds = 10;
  std::int64_t idle_seconds = 0;  // the session's idle timeout, renewed by each rotation
};

// A rotation's candidate successor: its hash, and itself sealed (kept for grace replays).
struct RefreshSuccessor {
  std::string token_hash;
  std::string sealed;
};

struct RotationDecision {
  RefreshOutcome outcome;
  store::RefreshWrites writes;
};
RotationDecision decide_rotation(const store::RefreshFamilyState& family, const RefreshSuccessor& successor,
                                 std::int64_t now, const RefreshPolicy& policy);

// Decides and applies one presentation of `presented_hash`, atomically.
RefreshOutcome rotate_refresh_token(store::IdentityStore& store, const std::string& presented_hash,
                                    const RefreshSuccessor& successor, std::int64_t now, const RefreshPolicy& policy);

}  // namespace archon::sessions
