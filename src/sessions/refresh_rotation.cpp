#include "sessions/refresh_rotation.hpp"
#include "webhooks/emit.hpp"

namespace archon::sessions {

RotationDecision decide_rotation(const store::RefreshFamilyState& f, const RefreshSuccessor& successor,
                                 std::int64_t now, const RefreshPolicy& policy) {
  using Kind = RefreshOutcome::Kind;
  RotationDecision d;
  d.writes.now = now;
  if (!f.found) return d;  // kInvalid: never issued
  d.outcome.session_id = f.session_id;
  d.outcome.user_id = f.user_id;
  d.outcome.session_absolute_expires_at = f.absolute_expires_at;
  if (f.session_revoked || !f.user_active) return d;  // kInvalid
  if (now >= f.idle_expires_at || now >= f.absolute_expires_at || now >= f.token_expires_at) {
    d.outcome.kind = Kind::kSessionEnded;
    return d;
  }
  if (f.rotated) {
    if (now - f.rotated_at <= policy.grace_seconds && f.child_is_newest && !f.child_sealed.empty()) {
      d.outcome.kind = Kind::kGraceReplay;
      d.outcome.replay_sealed_child = f.child_sealed;
      return d;
    }
    d.outcome.kind = Kind::kReuseDetected;
    d.writes.kind = store::RefreshWrites::Kind::kRevokeSession;
    d.writes.revoke_reason = "refresh_reuse";
    return d;
  }
  d.outcome.kind = Kind::kRotated;
  d.writes.kind = store::RefreshWrites::Kind::kRotate;
  d.writes.child.token_hash = successor.token_hash;
  d.writes.child.created_at = now;
  d.writes.sealed_child = successor.sealed;
  d.writes.forget_sealed_before = now - policy.grace_seconds;
  d.writes.idle_expires_at = now + policy.idle_seconds;
  return d;
}

RefreshOutcome rotate_refresh_token(store::IdentityStore& store, const std::string& presented_hash,
                                    const RefreshSuccessor& successor, std::int64_t now, const RefreshPolicy& policy) {
  RefreshOutcome out;
  webhooks::committing({}, [&] {
    store.update_refresh_family(presented_hash, [&](const store::RefreshFamilyState& family) {
      RotationDecision d = decide_rotation(family, successor, now, policy);
      out = d.outcome;
      // Announced in the transaction that revokes the session (a retry decides, and stages, again).
      if (out.kind == RefreshOutcome::Kind::kReuseDetected)
        webhooks::emit("refresh_token.reuse_detected",
                       {{"user_id", out.user_id}, {"session_id", out.session_id}, {"session_revoked", true}});
      return d.writes;
    });
  });
  return out;
}

}  // namespace archon::sessions
