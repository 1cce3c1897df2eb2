#include "cache/bounded_cache.hpp"

#include <gtest/gtest.h>

namespace archon::cache {
namespace {

using namespace std::chrono_literals;

TEST(BoundedCache, HitsUntilTheTtlEnds) {
  BoundedCache<int> c(100);
  auto t0 = BoundedCache<int>::Clock::now();
  BoundedCache<int>::Ticket ticket;
  EXPECT_FALSE(c.get("a", &ticket, t0));
  c.put("a", 1, 10s, ticket, t0);
  EXPECT_EQ(c.get("a", nullptr, t0 + 9s), 1);
  EXPECT_FALSE(c.get("a", &ticket, t0 + 10s));
  EXPECT_EQ(c.size(), 0u);
}

TEST(BoundedCache, NeverHoldsMoreThanItsBound) {
  BoundedCache<int> c(160);  // 10 per shard
  for (int i = 0; i < 10000; ++i) {
    BoundedCache<int>::Ticket t;
    std::string k = "k" + std::to_string(i);
    c.get(k, &t);
    c.put(k, i, 60s, t);
  }
  EXPECT_LE(c.size(), c.capacity());
  EXPECT_EQ(c.capacity(), 160u);
  // The most recent keys survive.
  EXPECT_EQ(c.get("k9999", nullptr), 9999);
}

TEST(BoundedCache, LeastRecentlyUsedGoesFirst) {
  BoundedCache<int> c(BoundedCache<int>::kShards);  // one per shard
  BoundedCache<int>::Ticket t;
  c.get("x", &t);
  c.put("x", 1, 60s, t);
  c.get("x", &t);
  c.put("x", 2, 60s, t);  // same key: replaced, not duplicated
  EXPECT_EQ(c.get("x", nullptr), 2);
  EXPECT_EQ(c.size(), 1u);
}

TEST(BoundedCache, InvalidationWinsOverAConcurrentReadThrough) {
  BoundedCache<std::string> c(100);
  BoundedCache<std::string>::Ticket ticket;
  ASSERT_FALSE(c.get("user:1", &ticket));  // a reader misses and goes to the store...
  c.invalidate("user:1");                   // ...a writer changes the user meanwhile...
  c.put("user:1", "stale", 60s, ticket);    // ...and the reader's stale value is not kept.
  EXPECT_FALSE(c.get("user:1", nullptr));
  ASSERT_FALSE(c.get("user:1", &ticket));
  c.put("user:1", "fresh", 60s, ticket);
  EXPECT_EQ(c.get("user:1", nullptr), "fresh");
  c.invalidate_all();
  EXPECT_FALSE(c.get("user:1", nullptr));
}

}  // namespace
}  // namespace archon::cache
