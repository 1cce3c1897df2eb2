// The identity store's contract, on both backends (store/conformance/store_conformance.hpp):
// users and roles, registration with its mail, refresh rotation and reuse, login-attempt
// reservation, single-use email tokens, session revocation, listing, and the audit chain, with
// the races two instances can run (a second instance opened on the same database).
#include <atomic>
#include <thread>

#include "identity/login_throttle.hpp"
#include "identity/user_admin_service.hpp"
#include "sessions/refresh_rotation.hpp"
#include "store/conformance/store_conformance.hpp"
#include "store/store_errors.hpp"

namespace archon::store::conformance {
namespace {

class IdentityStoreConformance : public StoreConformance {
 protected:
  void SetUp() override {
    StoreConformance::SetUp();
    EXPECT_TRUE(
        store().create_user(user("user_1", "Ada@Example.com", "Ada", 1000), {"user"}, std::nullopt, std::nullopt));
  }
  IdentityStore& store() { return identity(); }
  static UserRecord user(const std::string& id, const std::string& email, const std::string& name, std::int64_t at) {
    UserRecord u;
    u.id = id;
    u.email = email;
    u.email_normalized = email;
    for (auto& ch : u.email_normalized) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    u.name = name;
    u.password_hash = "h";
    u.created_at = u.updated_at = at;
    return u;
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
  // The service's rules (sessions/refresh_rotation) over this backend's primitive: grace 10 s, idle 100 s.
  ::archon::sessions::RefreshOutcome rotate(const std::string& presented, const std::string& child, std::int64_t now) {
    return sessions::rotate_refresh_token(store(), presented, {child, "sealed-" + child}, now, {10, 100});
  }
  ::archon::identity::LoginAttempt attempt(const std::string& email, const std::string& address, const ::archon::identity::LoginLimits& limits,
                                 std::int64_t now) {
    return ::archon::identity::LoginThrottle(store(), limits).begin(email, address, now);
  }
  // A check that lets every admin change stand.
  static bool any(std::int64_t, std::int64_t) { return true; }
  static AuditEventRecord audit_event(int i) {
    AuditEventRecord e;
    e.at = 1000 + i;
    e.event = "login";
    e.outcome = "success";
    e.actor = "user_1";
    e.user_id = "user_1";
    e.request_id = "req_" + std::to_string(i);
    return e;
  }

};

TEST_P(IdentityStoreConformance, UsersAreUniqueByNormalizedEmailAndCarryRolePermissions) {
  UserRecord dup = user("user_2", "ADA@example.com", "x", 1000);
  EXPECT_FALSE(store().create_user(dup, {"user"}, std::nullopt, std::nullopt));
  auto u = store().find_user_by_email("ada@example.com");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->email, "Ada@Example.com");
  EXPECT_TRUE(u->is_active);
  EXPECT_FALSE(u->email_verified);
  EXPECT_EQ(u->preferences, "{}");
  EXPECT_FALSE(u->last_login);
  EXPECT_EQ(u->roles, std::vector<std::string>{"user"});
  EXPECT_EQ(u->permissions, (std::vector<std::string>{"read:profile", "create:tasks"}));
  store().update_user_admin("user_1", {std::nullopt, std::vector<std::string>{"user", "admin"}}, 1001, any);
  EXPECT_EQ(store().find_user_by_id("user_1")->roles, (std::vector<std::string>{"user", "admin"}));
  EXPECT_EQ(store().find_user_by_id("user_1")->permissions.size(), 9u) << "distinct, across both roles";
  EXPECT_THROW(store().update_user_admin("user_1", {std::nullopt, std::vector<std::string>{"root"}}, 1002, any),
               std::exception);
  EXPECT_EQ(store().find_user_by_id("user_1")->roles, (std::vector<std::string>{"user", "admin"})) << "rolled back";
}

TEST_P(IdentityStoreConformance, RegistrationWritesTheTokenAndItsMailOrNothing) {
  UserRecord u = user("user_2", "bo@example.com", "Bo", 1100);
  EmailTokenRecord token{"tok", "user_2", "verify_email", 1100, 2000};
  EXPECT_TRUE(store().create_user(u, {"user"}, token, OutboxMessage{"bo@example.com", "Verify", "link"}));
  EXPECT_EQ(store().verify_email("tok", 1200), "user_2");
  EXPECT_THROW(store().create_user(user("user_3", "cy@example.com", "Cy", 1100), {"nope"}, std::nullopt,
                                  OutboxMessage{"cy@example.com", "Verify", "link"}),
               std::exception);
  EXPECT_FALSE(store().find_user_by_id("user_3")) << "rolled back with its roles";
  EXPECT_EQ(count("SELECT count(*) FROM mail_outbox"), 1) << "only the committed registration's mail";
}

TEST_P(IdentityStoreConformance, ProfilePasswordAndDeactivation) {
  store().update_profile("user_1", std::string("Ada L."), std::string(R"({"theme":"dark"})"), 1010);
  store().update_password_hash("user_1", "h2", 1011);
  auto u = store().find_user_by_id("user_1");
  EXPECT_EQ(u->name, "Ada L.");
  EXPECT_EQ(u->preferences, R"({"theme":"dark"})");
  EXPECT_EQ(u->password_hash, "h2");
  EXPECT_EQ(u->updated_at, 1011);
  store().create_session(session("s1"), {"t0", "s1", std::nullopt, 1000, 2000}, std::string("rehashed"));
  EXPECT_EQ(store().find_user_by_id("user_1")->last_login, 1000);
  EXPECT_EQ(store().find_user_by_id("user_1")->password_hash, "rehashed");
  auto revoked = store().update_user_admin("user_1", {std::string("Ada"), std::nullopt, false, "deactivated"}, 1020, any);
  EXPECT_EQ(revoked, std::vector<std::string>{"s1"});
  EXPECT_FALSE(store().find_user_by_id("user_1")->is_active);
  EXPECT_EQ(rotate("t0", "t1", 1021).kind, ::archon::sessions::RefreshOutcome::Kind::kInvalid);
}

TEST_P(IdentityStoreConformance, RefreshRotationGraceAndReuse) {
  store().create_session(session("s1"), {"t0", "s1", std::nullopt, 1000, 2000}, std::nullopt);
  auto r1 = rotate("t0", "t1", 1001);
  EXPECT_EQ(r1.kind, ::archon::sessions::RefreshOutcome::Kind::kRotated);
  EXPECT_EQ(r1.session_id, "s1");
  EXPECT_EQ(r1.user_id, "user_1");
  EXPECT_EQ(r1.session_absolute_expires_at, 2000);

  auto replay = rotate("t0", "tX", 1005);  // the parent again, within 10 s
  EXPECT_EQ(replay.kind, ::archon::sessions::RefreshOutcome::Kind::kGraceReplay);
  EXPECT_EQ(replay.replay_sealed_child, "sealed-t1");

  EXPECT_EQ(rotate("t1", "t2", 1006).kind, ::archon::sessions::RefreshOutcome::Kind::kRotated);
  // t0's child t1 is no longer the newest: presenting t0 now is reuse, and kills the family.
  EXPECT_EQ(rotate("t0", "tY", 1007).kind, ::archon::sessions::RefreshOutcome::Kind::kReuseDetected);
  EXPECT_EQ(rotate("t2", "t3", 1008).kind, ::archon::sessions::RefreshOutcome::Kind::kInvalid);
  EXPECT_TRUE(store().find_session("s1")->revoked_at.has_value());
  EXPECT_EQ(rotate("never-issued", "z", 1009).kind, ::archon::sessions::RefreshOutcome::Kind::kInvalid);
}

TEST_P(IdentityStoreConformance, BinaryTokenHashesRoundTrip) {
  const std::string raw("\x00\x01\xfe\xff hash", 9), child("\xff\x00\x7f", 3);
  store().create_session(session("s1"), {raw, "s1", std::nullopt, 1000, 2000}, std::nullopt);
  EXPECT_EQ(::archon::sessions::rotate_refresh_token(store(), raw, {child, std::string("\x00sealed", 7)}, 1001, {10, 100})
                .kind,
            ::archon::sessions::RefreshOutcome::Kind::kRotated);
  auto replay = ::archon::sessions::rotate_refresh_token(store(), raw, {"x", "y"}, 1002, {10, 100});
  EXPECT_EQ(replay.kind, ::archon::sessions::RefreshOutcome::Kind::kGraceReplay);
  EXPECT_EQ(replay.replay_sealed_child, std::string("\x00sealed", 7));
  EXPECT_EQ(store().revoke_session_by_refresh_token(child, 1003), "s1");
}

TEST_P(IdentityStoreConformance, ParentAfterTheGraceWindowIsReuse) {
  store().create_session(session("s1"), {"t0", "s1", std::nullopt, 1000, 2000}, std::nullopt);
  EXPECT_EQ(rotate("t0", "t1", 1001).kind, ::archon::sessions::RefreshOutcome::Kind::kRotated);
  EXPECT_EQ(rotate("t0", "t9", 1012).kind, ::archon::sessions::RefreshOutcome::Kind::kReuseDetected);
}

TEST_P(IdentityStoreConformance, IdleAndAbsoluteLifetimesEndSessions) {
  store().create_session(session("s1"), {"t0", "s1", std::nullopt, 1000, 2000}, std::nullopt);
  EXPECT_EQ(rotate("t0", "t1", 1101).kind, ::archon::sessions::RefreshOutcome::Kind::kSessionEnded) << "idle 100 s passed";
  store().create_session(session("s2", 2000), {"u0", "s2", std::nullopt, 2000, 3000}, std::nullopt);
  std::string token = "u0";
  std::int64_t now = 2000;
  for (int i = 1; i <= 9; ++i) {  // keep it alive by refreshing every 99 s ...
    now += 99;
    std::string next = "u" + std::to_string(i);
    ASSERT_EQ(rotate(token, next, now).kind, ::archon::sessions::RefreshOutcome::Kind::kRotated) << i;
    token = next;
  }
  EXPECT_EQ(rotate(token, "u99", 3000).kind, ::archon::sessions::RefreshOutcome::Kind::kSessionEnded) << "... but not past 1000 s";
}

TEST_P(IdentityStoreConformance, ConcurrentRotationsOfOneTokenYieldOneChild) {
  store().create_session(session("s1"), {"t0", "s1", std::nullopt, 1000, 2000}, std::nullopt);
  auto second_instance = open_another();
  IdentityStore& other = second_instance->identity();
  std::vector<std::thread> threads;
  std::atomic<int> rotated{0}, replayed{0};
  std::atomic<bool> go{false};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      IdentityStore& s = i % 2 ? other : store();
      auto r = ::archon::sessions::rotate_refresh_token(
          s, "t0", {"c" + std::to_string(i), "sealed-c" + std::to_string(i)}, 1001, {10, 100});
      if (r.kind == ::archon::sessions::RefreshOutcome::Kind::kRotated) ++rotated;
      if (r.kind == ::archon::sessions::RefreshOutcome::Kind::kGraceReplay) ++replayed;
    });
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(rotated.load(), 1);
  EXPECT_EQ(replayed.load(), 7);
  // The hashes are blobs: the one dialect difference of this suite's SQL ('t0' is 0x7430).
  EXPECT_EQ(count(postgres() ? "SELECT count(*) FROM refresh_tokens WHERE parent_hash = '\\x7430'::bytea"
                             : "SELECT count(*) FROM refresh_tokens WHERE parent_hash = X'7430'"),
            1) << "no fork of the family";
}

TEST_P(IdentityStoreConformance, LoginAttemptsAreReservedSoParallelGuessesCannotPassTheLimit) {
  ::archon::identity::LoginLimits limits;  // 5 per pair, 15 min
  std::vector<std::thread> threads;
  std::atomic<int> allowed{0};
  for (int i = 0; i < 30; ++i)
    threads.emplace_back([&] {
      if (attempt("ada@example.com", "10.0.0.1", limits, 1000).allowed) ++allowed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 5);
  auto locked = attempt("ada@example.com", "10.0.0.1", limits, 1001);
  EXPECT_FALSE(locked.allowed);
  EXPECT_EQ(locked.locked_until, 1000 + 900);
  EXPECT_TRUE(attempt("ada@example.com", "10.0.0.2", limits, 1001).allowed) << "other address";
  EXPECT_TRUE(attempt("ada@example.com", "10.0.0.1", limits, 1901).allowed) << "lock served";
}

TEST_P(IdentityStoreConformance, SuccessResetsThePairCounterAndCancelGivesTheAttemptBack) {
  ::archon::identity::LoginLimits limits;
  for (int i = 0; i < 4; ++i) attempt("ada@example.com", "a", limits, 1000);
  ::archon::identity::LoginThrottle(store(), limits).succeeded("ada@example.com", "a", 1000);
  auto next = attempt("ada@example.com", "a", limits, 1000);
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.attempts_remaining, 4);
  for (int i = 0; i < 4; ++i) attempt("ada@example.com", "a", limits, 1000);  // 5th: locks
  ::archon::identity::LoginThrottle(store(), limits).cancel("ada@example.com", "a", 1000);
  auto after_cancel = attempt("ada@example.com", "a", limits, 1000);
  EXPECT_TRUE(after_cancel.allowed) << "the cancelled attempt's lock is lifted";
  EXPECT_EQ(after_cancel.attempts_remaining, 0);
}

TEST_P(IdentityStoreConformance, AccountCeilingAcrossAddresses) {
  ::archon::identity::LoginLimits limits;
  limits.account_failures = 10;
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(attempt("ada@example.com", "10.0.0." + std::to_string(i), limits, 1000).allowed);
  EXPECT_FALSE(attempt("ada@example.com", "10.9.9.9", limits, 1001).allowed);
}

TEST_P(IdentityStoreConformance, EmailTokensAreSingleUseAndExpire) {
  store().issue_email_token({"h1", "user_1", "verify_email", 1000, 2000}, {"a@b.co", "s", "b"}, true);
  EXPECT_EQ(store().verify_email("h1", 1500), "user_1");
  EXPECT_FALSE(store().verify_email("h1", 1501)) << "used";
  EXPECT_TRUE(store().find_user_by_id("user_1")->email_verified);
  store().issue_email_token({"h2", "user_1", "password_reset", 1000, 1100}, {"a@b.co", "s", "b"}, true);
  EXPECT_FALSE(store().reset_password("h2", {"new", "password_reset", true}, 1100)) << "expired";
  store().issue_email_token({"h3", "user_1", "password_reset", 1000, 2000}, {"a@b.co", "s", "b"}, true);
  store().issue_email_token({"h4", "user_1", "password_reset", 1001, 2000}, {"a@b.co", "s", "b"}, true);
  EXPECT_FALSE(store().reset_password("h3", {"new", "password_reset", true}, 1500)) << "superseded by a newer token";
  store().create_session(session("s1"), {"t0", "s1", std::nullopt, 1000, 2000}, std::nullopt);
  ::archon::identity::LoginLimits limits;
  for (int i = 0; i < 5; ++i) attempt("ada@example.com", "a", limits, 1400);
  EXPECT_FALSE(attempt("ada@example.com", "a", limits, 1400).allowed);
  auto reset = store().reset_password("h4", {"new-hash", "password_reset", true}, 1500);
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->first, "user_1");
  EXPECT_EQ(reset->second, std::vector<std::string>{"s1"});
  EXPECT_EQ(store().find_user_by_id("user_1")->password_hash, "new-hash");
  EXPECT_TRUE(attempt("ada@example.com", "a", limits, 1501).allowed) << "failures cleared";
}

TEST_P(IdentityStoreConformance, ConcurrentTokenIssuesLeaveOnlyOneLive) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      store().issue_email_token({"r" + std::to_string(i), "user_1", "password_reset", 1000 + i, 2000},
                               {"a@b.co", "s", "b"}, true);
    });
  for (auto& t : threads) t.join();
  int live = 0;
  for (int i = 0; i < 6; ++i)
    if (store().reset_password("r" + std::to_string(i), {"x", "password_reset", true}, 1500)) ++live;
  EXPECT_EQ(live, 1);
}

TEST_P(IdentityStoreConformance, SessionScopesAndOwnership) {
  for (const char* id : {"s1", "s2", "s3"})
    store().create_session(session(id), {std::string("t-") + id, id, std::nullopt, 1000, 2000}, std::nullopt);
  EXPECT_FALSE(store().revoke_user_session("user_other", "s1", "user", 1001)) << "not theirs";
  EXPECT_EQ(store().revoke_sessions("user_1", "others", "s1", "logout", 1001), (std::vector<std::string>{"s2", "s3"}));
  EXPECT_EQ(store().list_active_sessions("user_1", 1001).size(), 1u);
  EXPECT_EQ(store().revoke_session_by_refresh_token("t-s1", 1002), "s1");
  EXPECT_TRUE(store().list_active_sessions("user_1", 1002).empty());
  EXPECT_FALSE(store().revoke_session_by_refresh_token("unknown", 1002));
  store().create_session(session("s4"), {"t-s4", "s4", std::nullopt, 1000, 2000}, std::nullopt);
  EXPECT_TRUE(store().revoke_user_session("user_1", "s4", "admin", 1003));
  EXPECT_FALSE(store().revoke_user_session("user_1", "s4", "admin", 1004)) << "already revoked";
  store().create_session(session("s5"), {"t-s5", "s5", std::nullopt, 1000, 2000}, std::nullopt);
  EXPECT_EQ(store().revoke_sessions("user_1", "local", "s5", "logout", 1005), std::vector<std::string>{"s5"});
  store().create_session(session("s6"), {"t-s6", "s6", std::nullopt, 1000, 2000}, std::nullopt);
  EXPECT_EQ(store().revoke_sessions("user_1", "global", "", "logout", 1006), std::vector<std::string>{"s6"});
  auto s = store().find_session("s6");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->revoked_at, 1006);
  EXPECT_EQ(s->client_address, "127.0.0.1");
}

TEST_P(IdentityStoreConformance, ListUsersFiltersSortsAndPagesInByteOrder) {
  store().create_user(user("user_2", "bob@example.com", "bob", 1002), {"user", "admin"}, std::nullopt, std::nullopt);
  store().create_user(user("user_3", "cleo@example.com", "Cleo", 1003), {"user"}, std::nullopt, std::nullopt);
  store().update_user_admin("user_3", {std::nullopt, std::nullopt, false}, 1004, any);
  UserQuery q;
  auto [all, total] = store().list_users(q);
  EXPECT_EQ(total, 3);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, "user_3") << "newest first by default";
  EXPECT_EQ(all[1].roles, (std::vector<std::string>{"user", "admin"}));
  q.sort_by = "name";
  q.descending = false;
  auto by_name = store().list_users(q).first;
  EXPECT_EQ(by_name[0].name, "Ada");
  EXPECT_EQ(by_name[1].name, "Cleo");
  EXPECT_EQ(by_name[2].name, "bob") << "byte order, as SQLite: lower case after upper case";
  q.q = "EXAMPLE.COM";
  q.limit = 2;
  q.page = 2;
  auto [page, matched] = store().list_users(q);
  EXPECT_EQ(matched, 3) << "case-insensitive substring";
  ASSERT_EQ(page.size(), 1u);
  UserQuery admins;
  admins.role = "admin";
  EXPECT_EQ(store().list_users(admins).second, 1);
  UserQuery inactive;
  inactive.is_active = false;
  EXPECT_EQ(store().list_users(inactive).first.at(0).id, "user_3");
  UserQuery nobody;
  nobody.q = "zzz";
  EXPECT_EQ(store().list_users(nobody).second, 0);
}

TEST_P(IdentityStoreConformance, AuditChainDetectsTampering) {
  for (int i = 0; i < 3; ++i) store().append_audit(audit_event(i));
  auto events = store().all_audit_events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].prev_hash, std::string(32, '\0'));
  EXPECT_EQ(events[1].prev_hash, events[0].hash);
  for (const auto& e : events) EXPECT_EQ(audit_event_hash(e), e.hash);
  exec("UPDATE audit_events SET outcome = 'failure' WHERE seq = 2");
  auto tampered = store().all_audit_events();
  EXPECT_NE(audit_event_hash(tampered[1]), tampered[1].hash);
}

TEST_P(IdentityStoreConformance, AuditBatchesCommitTogetherInOrderOrNotAtAll) {
  store().append_audit(audit_event(0));
  std::vector<AuditEventRecord> batch{audit_event(1), audit_event(2), audit_event(3)};
  store().append_audit_batch(batch);
  store().append_audit_batch({});
  auto events = store().all_audit_events();
  ASSERT_EQ(events.size(), 4u);
  std::string prev(32, '\0');
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(events[i].request_id, "req_" + std::to_string(i));
    EXPECT_EQ(events[i].prev_hash, prev);
    EXPECT_EQ(audit_event_hash(events[i]), events[i].hash);
    prev = events[i].hash;
  }
  if (postgres()) {  // SQLite stores any bytes, so only PostgreSQL can be made to refuse a row
    auto bad = batch;
    bad[2].details = "\xff";  // not UTF-8: PostgreSQL refuses the row, and with it the batch
    EXPECT_THROW(store().append_audit_batch(bad), std::exception);
    EXPECT_EQ(store().all_audit_events().size(), 4u) << "none of the failed batch";
  }
}

TEST_P(IdentityStoreConformance, ListAuditFiltersAndPagesNewestFirst) {
  for (int i = 0; i < 5; ++i) {
    auto e = audit_event(i);
    if (i % 2) e.event = "logout";
    if (i == 4) e.user_id.reset();
    store().append_audit(e);
  }
  AuditQuery q;
  q.limit = 2;
  auto [page, total] = store().list_audit(q);
  EXPECT_EQ(total, 5);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, 5);
  EXPECT_FALSE(page[0].user_id);
  q.event = "logout";
  EXPECT_EQ(store().list_audit(q).second, 2);
  AuditQuery mine;
  mine.user_id = "user_1";
  mine.page = 2;
  mine.limit = 3;
  auto [second_page, mine_total] = store().list_audit(mine);
  EXPECT_EQ(mine_total, 4);
  ASSERT_EQ(second_page.size(), 1u);
  EXPECT_EQ(second_page[0].seq, 1);
}

TEST_P(IdentityStoreConformance, ConcurrentAppendsFromTwoInstancesFormOneValidChain) {
  auto second_instance = open_another();
  IdentityStore& other = second_instance->identity();
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  constexpr int kThreads = 8, kEach = 10;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      IdentityStore& s = i % 2 ? other : store();
      for (int j = 0; j < kEach; ++j) s.append_audit(audit_event(i * 100 + j));
    });
  go = true;
  for (auto& t : threads) t.join();
  auto events = store().all_audit_events();
  ASSERT_EQ(events.size(), static_cast<std::size_t>(kThreads * kEach));
  std::string prev(32, '\0');
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(events[i].prev_hash, prev) << i;
    EXPECT_EQ(audit_event_hash(events[i]), events[i].hash) << i;
    prev = events[i].hash;
  }
}

TEST_P(IdentityStoreConformance, RotationRenewsTheIdleTimeoutButNeverPastTheAbsoluteExpiry) {
  store().create_session(session("s1"), {"t0", "s1", std::nullopt, 1000, 2000}, std::nullopt);  // idle 1100, end 2000
  ASSERT_EQ(rotate("t0", "t1", 1050).kind, ::archon::sessions::RefreshOutcome::Kind::kRotated);
  auto touched = store().find_session("s1");
  ASSERT_TRUE(touched);
  EXPECT_EQ(touched->last_seen_at, 1050);
  EXPECT_EQ(touched->idle_expires_at, 1150) << "renewed by the idle timeout (100 s)";
  std::string token = "t1";
  for (std::int64_t now = 1140; now < 1990; now += 90) {
    std::string next = "t" + std::to_string(now);
    ASSERT_EQ(rotate(token, next, now).kind, ::archon::sessions::RefreshOutcome::Kind::kRotated) << now;
    token = next;
  }
  ASSERT_EQ(rotate(token, "last", 1990).kind, ::archon::sessions::RefreshOutcome::Kind::kRotated);
  EXPECT_EQ(store().find_session("s1")->idle_expires_at, 2000) << "capped by the absolute expiry";
}

TEST_P(IdentityStoreConformance, TwoAdminsDemotingEachOtherAtOnceLeaveOne) {
  store().create_user(user("user_2", "bob@example.com", "Bob", 1002), {"user", "admin"}, std::nullopt, std::nullopt);
  store().update_user_admin("user_1", {std::nullopt, std::vector<std::string>{"user", "admin"}}, 1003, any);
  auto second_instance = open_another();
  IdentityStore& other = second_instance->identity();
  std::atomic<int> refused{0};
  std::atomic<bool> go{false};
  auto demote = [&](IdentityStore& s, const char* id) {
    while (!go) std::this_thread::yield();
    try {
      s.update_user_admin(id, {std::nullopt, std::vector<std::string>{"user"}}, 1004,
                          ::archon::identity::keeps_an_administrator);
    } catch (const ChangeRefused&) {
      ++refused;
    }
  };
  std::thread a(demote, std::ref(store()), "user_1"), b(demote, std::ref(other), "user_2");
  go = true;
  a.join();
  b.join();
  EXPECT_EQ(refused.load(), 1) << "exactly one of the two demotions stands";
  UserQuery admins;
  admins.role = "admin";
  EXPECT_EQ(store().list_users(admins).second, 1);
}

ARCHON_STORE_CONFORMANCE(IdentityStoreConformance);

}  // namespace
}  // namespace archon::store::conformance
