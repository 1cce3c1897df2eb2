// The identity store's atomic operations on a real SQLite file: refresh rotation and reuse,
// login-attempt reservation, single-use email tokens, session revocation and the audit chain.
#include "store/sqlite/sqlite_identity_store.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "tokens/token_test_support.hpp"

namespace archon::store {
namespace {

class IdentityStoreTest : public ::testing::Test {
 protected:
  IdentityStoreTest() : store_(*ts_.db) {
    UserRecord u;
    u.id = "user_1";
    u.email = "Ada@Example.com";
    u.email_normalized = "ada@example.com";
    u.name = "Ada";
    u.password_hash = "h";
    u.created_at = u.updated_at = 1000;
    EXPECT_TRUE(store_.create_user(u, {"user"}, std::nullopt, std::nullopt));
  }
  SessionRecord session(const std::string& id, std::int64_t now = 1000) {
    SessionRecord s;
    s.id = id;
    s.user_id = "user_1";
    s.created_at = s.last_seen_at = now;
    s.idle_expires_at = now + 100;
    s.absolute_expires_at = now + 1000;
    s.client_address = "127.0.0.1";
    s.user_agent = "test";
    return s;
  }
  RefreshOutcome rotate(const std::string& presented, const std::string& child, std::int64_t now) {
    return store_.rotate_refresh_token(presented, {child, "", std::nullopt, now, 0}, "sealed-" + child, now, 10, 100);
  }

  tokens::testing::TempStore ts_;
  SqliteIdentityStore store_;
};

TEST_F(IdentityStoreTest, UsersAreUniqueByNormalizedEmailAndCarryRolePermissions) {
  UserRecord dup;
  dup.id = "user_2";
  dup.email = "ADA@example.com";
  dup.email_normalized = "ada@example.com";
  dup.name = "x";
  dup.password_hash = "h";
  EXPECT_FALSE(store_.create_user(dup, {"user"}, std::nullopt, std::nullopt));
  auto u = store_.find_user_by_email("ada@example.com");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->roles, std::vector<std::string>{"user"});
  EXPECT_EQ(u->permissions, (std::vector<std::string>{"read:profile", "create:tasks"}));
  store_.update_user_admin("user_1", std::nullopt, std::vector<std::string>{"user", "admin"}, std::nullopt, 1001);
  EXPECT_EQ(store_.find_user_by_id("user_1")->roles, (std::vector<std::string>{"user", "admin"}));
  EXPECT_THROW(store_.update_user_admin("user_1", std::nullopt, std::vector<std::string>{"root"}, std::nullopt, 1002),
               SqliteError);
  EXPECT_EQ(store_.find_user_by_id("user_1")->roles, (std::vector<std::string>{"user", "admin"})) << "rolled back";
}

TEST_F(IdentityStoreTest, RefreshRotationGraceAndReuse) {
  store_.create_session(session("s1"), {"t0", "s1", std::nullopt, 1000, 2000}, std::nullopt);
  auto r1 = rotate("t0", "t1", 1001);
  EXPECT_EQ(r1.kind, RefreshOutcome::Kind::kRotated);
  EXPECT_EQ(r1.session_id, "s1");
  EXPECT_EQ(r1.user_id, "user_1");

  auto replay = rotate("t0", "tX", 1005);  // the parent again, within 10 s
  EXPECT_EQ(replay.kind, RefreshOutcome::Kind::kGraceReplay);
  EXPECT_EQ(replay.replay_sealed_child, "sealed-t1");

  EXPECT_EQ(rotate("t1", "t2", 1006).kind, RefreshOutcome::Kind::kRotated);
  // t0's child t1 is no longer the newest: presenting t0 now is reuse, and kills the family.
  EXPECT_EQ(rotate("t0", "tY", 1007).kind, RefreshOutcome::Kind::kReuseDetected);
  EXPECT_EQ(rotate("t2", "t3", 1008).kind, RefreshOutcome::Kind::kInvalid);
  EXPECT_TRUE(store_.find_session("s1")->revoked_at.has_value());
  EXPECT_EQ(rotate("never-issued", "z", 1009).kind, RefreshOutcome::Kind::kInvalid);
}

TEST_F(IdentityStoreTest, ParentAfterTheGraceWindowIsReuse) {
  store_.create_session(session("s1"), {"t0", "s1", std::nullopt, 1000, 2000}, std::nullopt);
  EXPECT_EQ(rotate("t0", "t1", 1001).kind, RefreshOutcome::Kind::kRotated);
  EXPECT_EQ(rotate("t0", "t9", 1012).kind, RefreshOutcome::Kind::kReuseDetected);
}

TEST_F(IdentityStoreTest, IdleAndAbsoluteLifetimesEndSessions) {
  store_.create_session(session("s1"), {"t0", "s1", std::nullopt, 1000, 2000}, std::nullopt);
  EXPECT_EQ(rotate("t0", "t1", 1101).kind, RefreshOutcome::Kind::kSessionEnded) << "idle 100 s passed";
  store_.create_session(session("s2", 2000), {"u0", "s2", std::nullopt, 2000, 3000}, std::nullopt);
  std::string token = "u0";
  std::int64_t now = 2000;
  for (int i = 1; i <= 9; ++i) {  // keep it alive by refreshing every 99 s ...
    now += 99;
    std::string next = "u" + std::to_string(i);
    ASSERT_EQ(rotate(token, next, now).kind, RefreshOutcome::Kind::kRotated) << i;
    token = next;
  }
  EXPECT_EQ(rotate(token, "u99", 3000).kind, RefreshOutcome::Kind::kSessionEnded) << "... but not past 1000 s";
}

TEST_F(IdentityStoreTest, ConcurrentRotationsOfOneTokenYieldOneChild) {
  store_.create_session(session("s1"), {"t0", "s1", std::nullopt, 1000, 2000}, std::nullopt);
  std::vector<std::thread> threads;
  std::atomic<int> rotated{0}, replayed{0};
  for (int i = 0; i < 20; ++i)
    threads.emplace_back([&, i] {
      auto r = rotate("t0", "c" + std::to_string(i), 1001);
      if (r.kind == RefreshOutcome::Kind::kRotated) ++rotated;
      if (r.kind == RefreshOutcome::Kind::kGraceReplay) ++replayed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(rotated.load(), 1);
  EXPECT_EQ(replayed.load(), 19);
}

TEST_F(IdentityStoreTest, LoginAttemptsAreReservedSoParallelGuessesCannotPassTheLimit) {
  LoginLimits limits;  // 5 per pair, 15 min
  std::vector<std::thread> threads;
  std::atomic<int> allowed{0};
  for (int i = 0; i < 50; ++i)
    threads.emplace_back([&] {
      if (store_.begin_login_attempt("ada@example.com", "10.0.0.1", limits, 1000).allowed) ++allowed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 5);
  auto locked = store_.begin_login_attempt("ada@example.com", "10.0.0.1", limits, 1001);
  EXPECT_FALSE(locked.allowed);
  EXPECT_EQ(locked.locked_until, 1000 + 900);
  EXPECT_TRUE(store_.begin_login_attempt("ada@example.com", "10.0.0.2", limits, 1001).allowed) << "other address";
  EXPECT_TRUE(store_.begin_login_attempt("ada@example.com", "10.0.0.1", limits, 1901).allowed) << "lock served";
}

TEST_F(IdentityStoreTest, SuccessResetsThePairCounter) {
  LoginLimits limits;
  for (int i = 0; i < 4; ++i) store_.begin_login_attempt("ada@example.com", "a", limits, 1000);
  store_.login_succeeded("ada@example.com", "a");
  auto next = store_.begin_login_attempt("ada@example.com", "a", limits, 1000);
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.attempts_remaining, 4);
}

TEST_F(IdentityStoreTest, AccountCeilingAcrossAddresses) {
  LoginLimits limits;
  limits.account_failures = 10;
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(store_.begin_login_attempt("ada@example.com", "10.0.0." + std::to_string(i), limits, 1000).allowed);
  EXPECT_FALSE(store_.begin_login_attempt("ada@example.com", "10.9.9.9", limits, 1001).allowed);
}

TEST_F(IdentityStoreTest, EmailTokensAreSingleUseAndExpire) {
  store_.issue_email_token({"h1", "user_1", "verify_email", 1000, 2000}, {"a@b.co", "s", "b"});
  EXPECT_EQ(store_.verify_email("h1", 1500), "user_1");
  EXPECT_FALSE(store_.verify_email("h1", 1501)) << "used";
  EXPECT_TRUE(store_.find_user_by_id("user_1")->email_verified);
  store_.issue_email_token({"h2", "user_1", "password_reset", 1000, 1100}, {"a@b.co", "s", "b"});
  EXPECT_FALSE(store_.reset_password("h2", "new", 1100)) << "expired";
  store_.issue_email_token({"h3", "user_1", "password_reset", 1000, 2000}, {"a@b.co", "s", "b"});
  store_.issue_email_token({"h4", "user_1", "password_reset", 1001, 2000}, {"a@b.co", "s", "b"});
  EXPECT_FALSE(store_.reset_password("h3", "new", 1500)) << "superseded by a newer token";
  store_.create_session(session("s1"), {"t0", "s1", std::nullopt, 1000, 2000}, std::nullopt);
  auto reset = store_.reset_password("h4", "new-hash", 1500);
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->second, std::vector<std::string>{"s1"});
  EXPECT_EQ(store_.find_user_by_id("user_1")->password_hash, "new-hash");
}

TEST_F(IdentityStoreTest, SessionScopesAndOwnership) {
  for (const char* id : {"s1", "s2", "s3"})
    store_.create_session(session(id), {std::string("t-") + id, id, std::nullopt, 1000, 2000}, std::nullopt);
  EXPECT_FALSE(store_.revoke_user_session("user_other", "s1", "user", 1001)) << "not theirs";
  EXPECT_EQ(store_.revoke_sessions("user_1", "others", "s1", "logout", 1001), (std::vector<std::string>{"s2", "s3"}));
  EXPECT_EQ(store_.list_active_sessions("user_1", 1001).size(), 1u);
  EXPECT_EQ(store_.revoke_session_by_refresh_token("t-s1", 1002), "s1");
  EXPECT_TRUE(store_.list_active_sessions("user_1", 1002).empty());
}

TEST_F(IdentityStoreTest, AuditChainDetectsTampering) {
  for (int i = 0; i < 3; ++i) {
    AuditEventRecord e;
    e.at = 1000 + i;
    e.event = "login";
    e.outcome = "success";
    e.actor = "user_1";
    e.user_id = "user_1";
    e.request_id = "req_" + std::to_string(i);
    store_.append_audit(e);
  }
  auto events = store_.all_audit_events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].prev_hash, events[0].hash);
  for (const auto& e : events) EXPECT_EQ(audit_event_hash(e), e.hash);
  ts_.db->with_connection([](sqlite3* db) { Statement(db, "UPDATE audit_events SET outcome = 'failure' WHERE seq = 2").run(); });
  auto tampered = store_.all_audit_events();
  EXPECT_NE(audit_event_hash(tampered[1]), tampered[1].hash);
}

}  // namespace
}  // namespace archon::store
