// The refresh-rotation rules, as a plain function of a family's state: no database.
#include "sessions/refresh_rotation.hpp"

#include <gtest/gtest.h>

namespace archon::sessions {
namespace {

using Kind = RefreshOutcome::Kind;
using Writes = store::RefreshWrites::Kind;
constexpr RefreshPolicy kPolicy{10, 100};

// A live, never-rotated token of session s1, issued at 1000.
store::RefreshFamilyState live() {
  store::RefreshFamilyState f;
  f.found = true;
  f.session_id = "s1";
  f.user_id = "user_1";
  f.user_active = true;
  f.idle_expires_at = 1100;
  f.absolute_expires_at = 2000;
  f.token_expires_at = 2000;
  return f;
}

store::RefreshFamilyState rotated_at(std::int64_t at) {
  auto f = live();
  f.rotated = true;
  f.rotated_at = at;
  f.child_is_newest = true;
  f.child_sealed = "sealed-child";
  return f;
}

TEST(RefreshRotation, ALiveTokenRotatesIntoItsSuccessor) {
  auto d = decide_rotation(live(), {"child-hash", "sealed"}, 1050, kPolicy);
  EXPECT_EQ(d.outcome.kind, Kind::kRotated);
  EXPECT_EQ(d.outcome.session_id, "s1");
  EXPECT_EQ(d.outcome.user_id, "user_1");
  EXPECT_EQ(d.outcome.session_absolute_expires_at, 2000);
  EXPECT_EQ(d.writes.kind, Writes::kRotate);
  EXPECT_EQ(d.writes.child.token_hash, "child-hash");
  EXPECT_EQ(d.writes.child.created_at, 1050);
  EXPECT_EQ(d.writes.sealed_child, "sealed");
  EXPECT_EQ(d.writes.idle_expires_at, 1150) << "each rotation renews the idle timeout";
  EXPECT_EQ(d.writes.forget_sealed_before, 1040) << "sealed successors older than the grace window go";
}

TEST(RefreshRotation, UnknownRevokedOrDeactivatedIsInvalidAndWritesNothing) {
  store::RefreshFamilyState unknown;
  EXPECT_EQ(decide_rotation(unknown, {"c", "s"}, 1050, kPolicy).outcome.kind, Kind::kInvalid);
  auto revoked = live();
  revoked.session_revoked = true;
  auto d = decide_rotation(revoked, {"c", "s"}, 1050, kPolicy);
  EXPECT_EQ(d.outcome.kind, Kind::kInvalid);
  EXPECT_EQ(d.writes.kind, Writes::kNone);
  auto inactive = live();
  inactive.user_active = false;
  EXPECT_EQ(decide_rotation(inactive, {"c", "s"}, 1050, kPolicy).outcome.kind, Kind::kInvalid);
}

TEST(RefreshRotation, IdleAbsoluteAndTokenExpiryEndTheSession) {
  EXPECT_EQ(decide_rotation(live(), {"c", "s"}, 1100, kPolicy).outcome.kind, Kind::kSessionEnded) << "idle";
  auto long_idle = live();
  long_idle.idle_expires_at = 5000;
  EXPECT_EQ(decide_rotation(long_idle, {"c", "s"}, 2000, kPolicy).outcome.kind, Kind::kSessionEnded) << "absolute";
  auto token_expired = long_idle;
  token_expired.absolute_expires_at = 5000;
  EXPECT_EQ(decide_rotation(token_expired, {"c", "s"}, 2000, kPolicy).outcome.kind, Kind::kSessionEnded) << "token";
  EXPECT_EQ(decide_rotation(live(), {"c", "s"}, 1099, kPolicy).outcome.kind, Kind::kRotated) << "a second before";
}

TEST(RefreshRotation, TheParentWithinGraceGetsTheSameSuccessorBack) {
  auto d = decide_rotation(rotated_at(1050), {"other", "x"}, 1060, kPolicy);
  EXPECT_EQ(d.outcome.kind, Kind::kGraceReplay);
  EXPECT_EQ(d.outcome.replay_sealed_child, "sealed-child");
  EXPECT_EQ(d.writes.kind, Writes::kNone);
}

TEST(RefreshRotation, AnyOtherReplayIsReuseAndEndsTheSession) {
  auto late = decide_rotation(rotated_at(1050), {"c", "s"}, 1061, kPolicy);
  EXPECT_EQ(late.outcome.kind, Kind::kReuseDetected) << "past the grace window";
  EXPECT_EQ(late.writes.kind, Writes::kRevokeSession);
  EXPECT_EQ(late.writes.revoke_reason, "refresh_reuse");
  EXPECT_EQ(late.writes.now, 1061);

  auto grandparent = rotated_at(1050);
  grandparent.child_is_newest = false;  // its successor was rotated too
  EXPECT_EQ(decide_rotation(grandparent, {"c", "s"}, 1051, kPolicy).outcome.kind, Kind::kReuseDetected);

  auto unsealed = rotated_at(1050);
  unsealed.child_sealed.clear();  // nothing to hand back
  EXPECT_EQ(decide_rotation(unsealed, {"c", "s"}, 1051, kPolicy).outcome.kind, Kind::kReuseDetected);
}

}  // namespace
}  // namespace archon::sessions
