// The agent store on a real PostgreSQL: default and replaced grants, token lineage, listing of
// live tokens and revocation of a token with its descendants.
#include "store/postgres/pg_agent_store.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "store/postgres/pg_identity_store.hpp"
#include "store/postgres/pg_test_server.hpp"

namespace archon::store {
namespace {

class PgAgentStoreTest : public ::testing::Test {
 protected:
  PgAgentStoreTest() {
    UserRecord u;
    u.id = "user_1";
    u.email = u.email_normalized = "ada@example.com";
    u.name = "Ada";
    u.password_hash = "h";
    u.created_at = u.updated_at = 1000;
    identity_.create_user(u, {"user"}, std::nullopt, std::nullopt);
    SessionRecord s;
    s.id = "s1";
    s.user_id = "user_1";
    s.created_at = s.last_seen_at = 1000;
    s.idle_expires_at = s.absolute_expires_at = 5000;
    identity_.create_session(s, {"t0", "s1", std::nullopt, 1000, 5000}, std::nullopt);
  }
  static AgentTokenRecord token(const std::string& id, const std::optional<std::string>& parent,
                                const std::string& root, int depth, std::int64_t created) {
    return {id, "jti-" + id, "user_1", "s1", parent, root, depth, "code-reviewer", R"(["read"])", "{}", created,
            created + 600, std::nullopt};
  }

  testing::PgTestDatabase t_;
  PgIdentityStore identity_{t_.db};
  PgAgentStore store_{t_.db};
};

TEST_F(PgAgentStoreTest, DefaultGrantsAndReplacement) {
  auto grants = store_.grants_for_roles({"user", "agent_operator", "admin"});
  ASSERT_EQ(grants.size(), 2u);
  EXPECT_EQ(grants[0].role, "agent_operator");
  EXPECT_EQ(grants[0].agent_type, "@common");
  EXPECT_EQ(grants[0].capabilities, R"(["*"])");
  EXPECT_EQ(grants[1].role, "admin");
  EXPECT_EQ(grants[1].agent_type, "*");
  EXPECT_TRUE(store_.grants_for_role("user").empty());

  EXPECT_TRUE(store_.replace_grants("user", {{"user", "tester", R"(["run"])"}, {"user", "Linter", R"(["*"])"},
                                             {"user", "@common", R"(["read"])"}}));
  auto replaced = store_.grants_for_role("user");
  ASSERT_EQ(replaced.size(), 3u);
  EXPECT_EQ(replaced[0].agent_type, "@common") << "byte order, as SQLite";
  EXPECT_EQ(replaced[1].agent_type, "Linter");
  EXPECT_EQ(replaced[2].agent_type, "tester");
  EXPECT_FALSE(store_.replace_grants("no_such_role", {}));
  EXPECT_THROW(store_.replace_grants("user", {{"user", "x", "[]"}, {"user", "x", "[]"}}), PgError);
  EXPECT_EQ(store_.grants_for_role("user").size(), 3u) << "a failed replacement changes nothing";
}

TEST_F(PgAgentStoreTest, ConcurrentReplacementsOfOneRoleLeaveOneWholeSet) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      std::vector<AgentGrant> set;
      for (int j = 0; j < 3; ++j) set.push_back({"user", "type" + std::to_string(i) + "-" + std::to_string(j), "[]"});
      EXPECT_TRUE(store_.replace_grants("user", set));
    });
  for (auto& t : threads) t.join();
  auto grants = store_.grants_for_role("user");
  ASSERT_EQ(grants.size(), 3u) << "one writer's set, not a mix";
  EXPECT_EQ(grants[0].agent_type.substr(0, 5), grants[2].agent_type.substr(0, 5));
}

TEST_F(PgAgentStoreTest, LineageIsListedAndRevokedWithDescendants) {
  store_.insert_agent_token(token("a1", std::nullopt, "a1", 0, 1000));
  store_.insert_agent_token(token("a2", "a1", "a1", 1, 1001));
  store_.insert_agent_token(token("a3", "a2", "a1", 2, 1002));
  store_.insert_agent_token(token("b1", std::nullopt, "b1", 0, 1000));
  auto found = store_.find_agent_token("a2");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->parent_agent_id, "a1");
  EXPECT_EQ(found->depth, 1);
  EXPECT_EQ(found->capabilities, R"(["read"])");
  EXPECT_FALSE(found->revoked_at);
  EXPECT_FALSE(store_.find_agent_token("zz"));

  auto live = store_.live_agent_tokens("user_1", 1100);
  ASSERT_EQ(live.size(), 4u);
  EXPECT_EQ(live[0].agent_id, "a1");
  EXPECT_EQ(live[2].agent_id, "a3");
  EXPECT_EQ(live[3].agent_id, "b1");
  EXPECT_EQ(store_.live_agent_tokens("user_1", 1600).size(), 2u) << "a1 and b1 expired at 1600";

  auto revoked = store_.revoke_agent_lineage("a2", 1200);
  ASSERT_EQ(revoked.size(), 2u);
  EXPECT_EQ(revoked[0], (std::pair<std::string, std::int64_t>{"a2", 1601}));
  EXPECT_EQ(revoked[1], (std::pair<std::string, std::int64_t>{"a3", 1602}));
  EXPECT_EQ(store_.find_agent_token("a3")->revoked_at, 1200);
  EXPECT_EQ(store_.revoke_agent_lineage("a1", 1300).size(), 3u);
  EXPECT_EQ(store_.find_agent_token("a3")->revoked_at, 1200) << "the first revocation time stays";
  EXPECT_EQ(store_.live_agent_tokens("user_1", 1100).size(), 1u);

  identity_.revoke_sessions("user_1", "global", "", "logout", 1400);
  EXPECT_TRUE(store_.live_agent_tokens("user_1", 1100).empty()) << "a revoked session takes its agents along";
}

}  // namespace
}  // namespace archon::store
