// The agent store's and the token store's contracts, on both backends
// (store/conformance/store_conformance.hpp): role grants and their replacement, agent-token
// lineage and its revocation; signing keys, revocations and service clients.
#include <thread>

#include "store/conformance/store_conformance.hpp"

namespace archon::store::conformance {
namespace {

class AgentStoreConformance : public StoreConformance {
 protected:
  void SetUp() override {
    StoreConformance::SetUp();
    UserRecord u;
    u.id = "user_1";
    u.email = u.email_normalized = "ada@example.com";
    u.name = "Ada";
    u.password_hash = "h";
    u.created_at = u.updated_at = 1000;
    identity().create_user(u, {"user"}, std::nullopt, std::nullopt);
    SessionRecord s;
    s.id = "s1";
    s.user_id = "user_1";
    s.created_at = s.last_seen_at = 1000;
    s.idle_expires_at = s.absolute_expires_at = 5000;
    identity().create_session(s, {"t0", "s1", std::nullopt, 1000, 5000}, std::nullopt);
  }
  static AgentTokenRecord token(const std::string& id, const std::optional<std::string>& parent,
                                const std::string& root, int depth, std::int64_t created) {
    return {id, "jti-" + id, "user_1", "s1", parent, root, depth, "code-reviewer", R"(["read"])", "{}", created,
            created + 600, std::nullopt};
  }

};

TEST_P(AgentStoreConformance, DefaultGrantsAndReplacement) {
  auto grants = agents().grants_for_roles({"user", "agent_operator", "admin"});
  ASSERT_EQ(grants.size(), 2u);
  EXPECT_EQ(grants[0].role, "agent_operator");
  EXPECT_EQ(grants[0].agent_type, "@common");
  EXPECT_EQ(grants[0].capabilities, R"(["*"])");
  EXPECT_EQ(grants[1].role, "admin");
  EXPECT_EQ(grants[1].agent_type, "*");
  EXPECT_TRUE(agents().grants_for_role("user").empty());

  EXPECT_TRUE(agents().replace_grants("user", {{"user", "tester", R"(["run"])"}, {"user", "Linter", R"(["*"])"},
                                             {"user", "@common", R"(["read"])"}}));
  auto replaced = agents().grants_for_role("user");
  ASSERT_EQ(replaced.size(), 3u);
  EXPECT_EQ(replaced[0].agent_type, "@common") << "byte order, as SQLite";
  EXPECT_EQ(replaced[1].agent_type, "Linter");
  EXPECT_EQ(replaced[2].agent_type, "tester");
  EXPECT_FALSE(agents().replace_grants("no_such_role", {}));
  EXPECT_THROW(agents().replace_grants("user", {{"user", "x", "[]"}, {"user", "x", "[]"}}), std::exception);
  EXPECT_EQ(agents().grants_for_role("user").size(), 3u) << "a failed replacement changes nothing";
}

TEST_P(AgentStoreConformance, ConcurrentReplacementsOfOneRoleLeaveOneWholeSet) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      std::vector<AgentGrant> set;
      for (int j = 0; j < 3; ++j) set.push_back({"user", "type" + std::to_string(i) + "-" + std::to_string(j), "[]"});
      EXPECT_TRUE(agents().replace_grants("user", set));
    });
  for (auto& t : threads) t.join();
  auto grants = agents().grants_for_role("user");
  ASSERT_EQ(grants.size(), 3u) << "one writer's set, not a mix";
  EXPECT_EQ(grants[0].agent_type.substr(0, 5), grants[2].agent_type.substr(0, 5));
}

TEST_P(AgentStoreConformance, LineageIsListedAndRevokedWithDescendants) {
  agents().insert_agent_token(token("a1", std::nullopt, "a1", 0, 1000));
  agents().insert_agent_token(token("a2", "a1", "a1", 1, 1001));
  agents().insert_agent_token(token("a3", "a2", "a1", 2, 1002));
  agents().insert_agent_token(token("b1", std::nullopt, "b1", 0, 1000));
  auto found = agents().find_agent_token("a2");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->parent_agent_id, "a1");
  EXPECT_EQ(found->depth, 1);
  EXPECT_EQ(found->capabilities, R"(["read"])");
  EXPECT_FALSE(found->revoked_at);
  EXPECT_FALSE(agents().find_agent_token("zz"));

  auto live = agents().live_agent_tokens("user_1", 1100);
  ASSERT_EQ(live.size(), 4u);
  EXPECT_EQ(live[0].agent_id, "a1");
  EXPECT_EQ(live[2].agent_id, "a3");
  EXPECT_EQ(live[3].agent_id, "b1");
  EXPECT_EQ(agents().live_agent_tokens("user_1", 1600).size(), 2u) << "a1 and b1 expired at 1600";

  auto revoked = agents().revoke_agent_lineage("a2", 1200);
  ASSERT_EQ(revoked.size(), 2u);
  EXPECT_EQ(revoked[0], (std::pair<std::string, std::int64_t>{"a2", 1601}));
  EXPECT_EQ(revoked[1], (std::pair<std::string, std::int64_t>{"a3", 1602}));
  EXPECT_EQ(agents().find_agent_token("a3")->revoked_at, 1200);
  EXPECT_EQ(agents().revoke_agent_lineage("a1", 1300).size(), 3u);
  EXPECT_EQ(agents().find_agent_token("a3")->revoked_at, 1200) << "the first revocation time stays";
  EXPECT_EQ(agents().live_agent_tokens("user_1", 1100).size(), 1u);

  identity().revoke_sessions("user_1", "global", "", "logout", 1400);
  EXPECT_TRUE(agents().live_agent_tokens("user_1", 1100).empty()) << "a revoked session takes its agents along";
}

ARCHON_STORE_CONFORMANCE(AgentStoreConformance);

class TokenStoreConformance : public StoreConformance {};

SigningKeyRecord key(const std::string& kid, std::int64_t created, std::int64_t activates) {
  return {kid, "access", "EdDSA", R"({"kty":"OKP"})", std::string("\x00sealed\xff", 8), created, activates};
}

TEST_P(TokenStoreConformance, SigningKeysListByActivationWithInsertionOrderBreakingTies) {
  tokens().insert_signing_key(key("k-late", 100, 300));
  tokens().insert_signing_key(key("k-z", 100, 200));
  tokens().insert_signing_key(key("k-a", 100, 200));  // same second as k-z: inserted later, listed later
  auto keys = tokens().list_signing_keys();
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].kid, "k-z");
  EXPECT_EQ(keys[1].kid, "k-a");
  EXPECT_EQ(keys[2].kid, "k-late");
  EXPECT_EQ(keys[0].sealed_private, std::string("\x00sealed\xff", 8));
  EXPECT_EQ(keys[0].public_jwk, R"({"kty":"OKP"})");
  EXPECT_EQ(keys[0].created_at, 100);
  EXPECT_EQ(keys[0].activates_at, 200);
  tokens().delete_signing_key("k-z");
  EXPECT_EQ(tokens().list_signing_keys().size(), 2u);
  EXPECT_THROW(tokens().insert_signing_key(key("k-a", 1, 1)), std::exception) << "kid is unique";
  auto bad = key("k-bad", 1, 1);
  bad.kind = "refresh";
  EXPECT_THROW(tokens().insert_signing_key(bad), std::exception) << "kind is checked";
}

TEST_P(TokenStoreConformance, RevocationsAreIdempotentKeepTheLaterExpiryAndExpire) {
  tokens().insert_revocation({"jti", "j1", 500, 100});
  tokens().insert_revocation({"jti", "j1", 400, 150});  // earlier expiry: kept at 500
  tokens().insert_revocation({"session", "s1", 200, 100});
  tokens().insert_revocation({"family", "f1", 900, 100});
  tokens().insert_revocation({"family", "f1", 950, 120});
  auto live = tokens().list_live_revocations(300);
  ASSERT_EQ(live.size(), 2u);
  for (const auto& r : live) {
    if (r.subject_id == "j1") {
      EXPECT_EQ(r.expires_at, 500);
      EXPECT_EQ(r.revoked_at, 100) << "the first revocation's time stays";
    } else {
      EXPECT_EQ(r.subject_id, "f1");
      EXPECT_EQ(r.expires_at, 950);
    }
  }
  EXPECT_EQ(tokens().list_live_revocations(200).size(), 3u) << "live through its expiry second";
  tokens().delete_expired_revocations(501);
  auto left = tokens().list_live_revocations(0);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].subject_id, "f1");
}

TEST_P(TokenStoreConformance, ServiceClientsKeepTheirSecretHashAndListByName) {
  const std::string hash("\x01\x00\xfe", 3);
  tokens().insert_service_client({"svc_b", "billing", hash, 100, std::nullopt});
  tokens().insert_service_client({"svc_a", "Audit", "h", 101, std::nullopt});
  auto found = tokens().find_service_client("svc_b");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "billing");
  EXPECT_EQ(found->secret_hash, hash);
  EXPECT_EQ(found->created_at, 100);
  EXPECT_FALSE(found->disabled_at);
  EXPECT_FALSE(tokens().find_service_client("nope"));
  exec("UPDATE service_clients SET disabled_at = 555 WHERE client_id = 'svc_a'");
  auto all = tokens().list_service_clients();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "Audit") << "byte order, as SQLite";
  EXPECT_EQ(all[0].disabled_at, 555);
  EXPECT_THROW(tokens().insert_service_client({"svc_a", "dup", "h", 1, std::nullopt}), std::exception);
}

ARCHON_STORE_CONFORMANCE(TokenStoreConformance);

}  // namespace
}  // namespace archon::store::conformance
