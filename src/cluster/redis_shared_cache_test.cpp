// The shared L2 against a real redis-server: the generation protocol keeps a slow reader from
// putting an old value back, one bump invalidates a whole group, an epoch bump everything, and
// an invalidation lost to an outage is made good when Redis answers again.
#include "cluster/redis_shared_cache.hpp"

#include <gtest/gtest.h>

#include "cache/cache_codec.hpp"
#include "redis/redis_test_server.hpp"

namespace archon::cluster {
namespace {

using namespace std::chrono_literals;
using redis::testing::RedisTestServer;
using redis::testing::test_client_config;

TEST(RedisSharedCache, ReadThroughHitsAfterAPut) {
  RedisTestServer server;
  redis::RedisClient client(test_client_config(server.endpoint()));
  RedisSharedCache l2(client);
  auto miss = l2.get("user:profile:u1", "user:gen:u1");
  ASSERT_TRUE(miss.available);
  EXPECT_FALSE(miss.value);
  l2.put("user:profile:u1", "user:gen:u1", miss.generation, "v1", 300s);
  auto hit = l2.get("user:profile:u1", "user:gen:u1");
  ASSERT_TRUE(hit.value);
  EXPECT_EQ(*hit.value, "v1");
  auto ttl = client.command({"TTL", "user:profile:u1"});
  EXPECT_GT(ttl.integer, 290);
  EXPECT_LE(ttl.integer, 300);
}

TEST(RedisSharedCache, AReaderThatLoadedBeforeAWriteCannotPutTheOldValueBack) {
  RedisTestServer server;
  redis::RedisClient client(test_client_config(server.endpoint()));
  RedisSharedCache reader(client), writer(client);
  auto before = reader.get("user:profile:u1", "user:gen:u1");  // reader misses, goes to the database...
  writer.invalidate("user:profile:u1", "user:gen:u1");          // ...a writer commits and invalidates...
  reader.put("user:profile:u1", "user:gen:u1", before.generation, "old", 300s);  // ...the reader's put loses
  EXPECT_FALSE(reader.get("user:profile:u1", "user:gen:u1").value);
  auto after = reader.get("user:profile:u1", "user:gen:u1");
  reader.put("user:profile:u1", "user:gen:u1", after.generation, "new", 300s);
  EXPECT_EQ(reader.get("user:profile:u1", "user:gen:u1").value.value_or(""), "new");
}

TEST(RedisSharedCache, OneGenerationBumpInvalidatesEveryKeyUnderIt) {
  RedisTestServer server;
  redis::RedisClient client(test_client_config(server.endpoint()));
  RedisSharedCache l2(client);
  for (auto key : {"agent:capabilities:a", "agent:capabilities:b"}) {
    auto g = l2.get(key, "agent:capabilities:gen");
    l2.put(key, "agent:capabilities:gen", g.generation, "grants", 300s);
    EXPECT_TRUE(l2.get(key, "agent:capabilities:gen").value);
  }
  l2.invalidate("", "agent:capabilities:gen");
  EXPECT_FALSE(l2.get("agent:capabilities:a", "agent:capabilities:gen").value);
  EXPECT_FALSE(l2.get("agent:capabilities:b", "agent:capabilities:gen").value);
}

TEST(RedisSharedCache, AnInvalidationLostToAnOutageIsMadeGoodWhenRedisAnswers) {
  // A network partition, not a restart: Redis keeps its data while this instance cannot reach it.
  RedisTestServer server;
  redis::RedisClient client(test_client_config(server.endpoint()));
  RedisSharedCache l2(client);
  auto g = l2.get("user:profile:u1", "user:gen:u1");
  l2.put("user:profile:u1", "user:gen:u1", g.generation, "before", 300s);
  server.pause();  // SIGSTOP: commands time out
  l2.invalidate("user:profile:u1", "user:gen:u1");  // lost
  EXPECT_FALSE(l2.get("user:profile:u1", "user:gen:u1").available);  // resting after the failure
  server.resume();
  std::this_thread::sleep_for(1100ms);  // past the rest after a failure
  auto later = l2.get("user:profile:u1", "user:gen:u1");
  EXPECT_TRUE(later.available);
  EXPECT_FALSE(later.value) << "the stale value must not be served";
}

TEST(RedisSharedCache, InvalidateAllMakesEveryValueAMiss) {
  RedisTestServer server;
  redis::RedisClient client(test_client_config(server.endpoint()));
  RedisSharedCache l2(client);
  auto g = l2.get("user:profile:u1", "user:gen:u1");
  l2.put("user:profile:u1", "user:gen:u1", g.generation, "v", 300s);
  l2.invalidate_all();
  EXPECT_FALSE(l2.get("user:profile:u1", "user:gen:u1").value);
}

TEST(CacheCodec, UsersRoundTripWithoutTheirPasswordHash) {
  store::UserRecord u;
  u.id = "user_1";
  u.email = "A@Example.com";
  u.email_normalized = "a@example.com";
  u.name = "A \"quoted\" name\n";
  u.password_hash = "$argon2id$v=19$secret";
  u.email_verified = true;
  u.preferences = R"({"theme":"dark"})";
  u.created_at = 1;
  u.updated_at = 2;
  u.last_login = 3;
  u.roles = {"user", "admin"};
  u.permissions = {"users:read"};
  std::string text = cache::encode_user(u);
  EXPECT_EQ(text.find("argon2"), std::string::npos);
  auto back = cache::decode_user(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->password_hash, "");
  EXPECT_EQ(back->name, u.name);
  EXPECT_EQ(back->roles, u.roles);
  EXPECT_EQ(back->last_login, 3);
  EXPECT_FALSE(cache::decode_user("{\"id\":1}"));
  EXPECT_FALSE(cache::decode_user("not json"));
}

TEST(CacheCodec, GrantsRoundTrip) {
  std::vector<store::AgentGrant> grants{{"user", "code_implementer", R"(["fs.write"])"}, {"admin", "*", R"(["*"])"}};
  auto back = cache::decode_grants(cache::encode_grants(grants));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].capabilities, grants[0].capabilities);
  EXPECT_EQ((*back)[1].agent_type, "*");
  EXPECT_FALSE(cache::decode_grants("[{\"role\":1}]"));
}

}  // namespace
}  // namespace archon::cluster
