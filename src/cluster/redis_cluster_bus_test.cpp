// The cluster bus against a real redis-server: what one instance publishes, another applies;
// losing Redis makes the bus incoherent at once, and the deny-list then answers from the store.
#include "cluster/redis_cluster_bus.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "redis/redis_test_server.hpp"
#include "tokens/revocation_list.hpp"
#include "tokens/token_test_support.hpp"

namespace archon::cluster {
namespace {

using namespace std::chrono_literals;
using redis::testing::RedisTestServer;
using redis::testing::test_client_config;

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 3s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

redis::RedisSubscriberConfig subscriber_config(const redis::RedisEndpoint& ep) {
  redis::RedisSubscriberConfig c;
  c.endpoint = ep;
  c.connect_timeout = 500ms;
  c.command_timeout = 1000ms;
  return c;
}

// What one instance's listener saw.
struct Seen {
  std::mutex mu;
  std::vector<std::string> users;
  int grants = 0;
  std::vector<std::string> revoked;  // "kind id exp"
  int resyncs = 0;

  BusListener listener() {
    BusListener l;
    l.user_changed = [this](const std::string& id) {
      std::lock_guard lock(mu);
      users.push_back(id);
    };
    l.grants_changed = [this] {
      std::lock_guard lock(mu);
      ++grants;
    };
    l.revoked = [this](std::string_view kind, const std::string& id, std::int64_t exp) {
      std::lock_guard lock(mu);
      revoked.push_back(std::string(kind) + " " + id + " " + std::to_string(exp));
    };
    l.resync = [this] {
      std::lock_guard lock(mu);
      ++resyncs;
    };
    return l;
  }
};

TEST(RedisClusterBus, WhatOneInstancePublishesTheOtherApplies) {
  RedisTestServer server;
  redis::RedisClient client_a(test_client_config(server.endpoint()));
  redis::RedisClient client_b(test_client_config(server.endpoint()));
  // Before the buses, so it outlives them: their subscriber threads call into it until joined.
  Seen seen_a, seen_b;
  RedisClusterBus a(client_a, subscriber_config(server.endpoint()));
  RedisClusterBus b(client_b, subscriber_config(server.endpoint()));
  a.listen(seen_a.listener());
  b.listen(seen_b.listener());
  ASSERT_TRUE(eventually([&] { return a.coherent() && b.coherent(); }));
  EXPECT_GE(seen_b.resyncs, 1);  // trusted memory only after reloading it

  a.user_changed("user_1");
  a.grants_changed();
  a.revoked("session", "sess with spaces\tand tabs", 1893456000);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(seen_b.mu);
    return !seen_b.revoked.empty();
  }));
  std::lock_guard lock(seen_b.mu);
  EXPECT_EQ(seen_b.users, std::vector<std::string>{"user_1"});
  EXPECT_EQ(seen_b.grants, 1);
  EXPECT_EQ(seen_b.revoked, std::vector<std::string>{"session sess with spaces\tand tabs 1893456000"});
}

TEST(RedisClusterBus, MalformedMessagesAreIgnored) {
  RedisTestServer server;
  redis::RedisClient client(test_client_config(server.endpoint()));
  Seen seen;  // outlives the bus, whose subscriber thread calls into it
  RedisClusterBus bus(client, subscriber_config(server.endpoint()));
  bus.listen(seen.listener());
  for (std::string_view m : {"", "x", "r", "r\njti", "r\njti\n12x\nid", "r\njti\n12\n", "u", "gg"}) bus.apply(m);
  std::lock_guard lock(seen.mu);
  EXPECT_TRUE(seen.revoked.empty());
  EXPECT_EQ(seen.grants, 0);
  EXPECT_EQ(seen.users, std::vector<std::string>{""});  // "u" with an empty id: dropping nothing is harmless
}

TEST(RedisClusterBus, LosingRedisMakesTheDenyListAskTheStore) {
  RedisTestServer server;
  tokens::testing::TempStore store;
  std::int64_t now = 1'800'000'000;
  tokens::RevocationList writer(*store.store, [&] { return now; });  // "instance A"
  tokens::RevocationList reader(*store.store, [&] { return now; });  // "instance B"
  redis::RedisClient client(test_client_config(server.endpoint()));
  RedisClusterBus bus(client, subscriber_config(server.endpoint()));
  BusListener listener;
  listener.revoked = [&](std::string_view kind, const std::string& id, std::int64_t exp) {
    reader.remember(kind, id, exp);
  };
  listener.resync = [&] { reader.load(); };
  bus.listen(std::move(listener));
  reader.set_bus(&bus);
  ASSERT_TRUE(eventually([&] { return bus.coherent(); }));

  server.stop();
  ASSERT_TRUE(eventually([&] { return !bus.coherent(); }, 2s)) << "a killed Redis is noticed";
  // A revokes while B cannot hear it: B must still refuse, from the store.
  writer.revoke(tokens::RevocationSubject::kJti, "jti-1", now + 600);
  EXPECT_TRUE(reader.is_revoked(tokens::RevocationSubject::kJti, "jti-1"));
  EXPECT_FALSE(reader.is_revoked(tokens::RevocationSubject::kJti, "jti-2"));

  server.start();
  ASSERT_TRUE(eventually([&] { return bus.coherent(); }, 5s)) << "resubscribes after a restart";
  // Back to memory, which the resync reloaded from the store.
  EXPECT_TRUE(reader.is_revoked(tokens::RevocationSubject::kJti, "jti-1"));
}

}  // namespace
}  // namespace archon::cluster
