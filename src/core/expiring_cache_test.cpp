#include "core/expiring_cache.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace archon {
namespace {

TEST(ExpiringCache, FindsWhatWasInsertedUntilItExpires) {
  ExpiringCache<int> cache(64);
  EXPECT_FALSE(cache.find("a", 100));
  cache.insert("a", 7, 200);
  EXPECT_EQ(cache.find("a", 100), 7);
  EXPECT_EQ(cache.find("a", 200), 7);  // alive through its expiry second, like a token's exp
  EXPECT_FALSE(cache.find("a", 201));
  EXPECT_FALSE(cache.find("b", 100));
}

TEST(ExpiringCache, KeepsTheFirstValueOfAKey) {
  ExpiringCache<int> cache(64);
  cache.insert("a", 1, 200);
  cache.insert("a", 2, 300);
  EXPECT_EQ(cache.find("a", 100), 1);
  EXPECT_FALSE(cache.find("a", 250));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ExpiringCache, StaysWithinItsCapacityEvictingTheOldest) {
  // 16 shards: a capacity of 16 keeps one entry per shard, so each insert evicts the older key
  // that shares its shard and the total never passes 16.
  ExpiringCache<int> cache(16);
  for (int i = 0; i < 1000; ++i) cache.insert("key" + std::to_string(i), i, 10'000);
  EXPECT_LE(cache.size(), 16u);
  EXPECT_EQ(cache.find("key999", 0), 999);  // the newest is always kept
  int kept = 0;
  for (int i = 0; i < 1000; ++i) kept += cache.find("key" + std::to_string(i), 0).has_value();
  EXPECT_EQ(static_cast<std::size_t>(kept), cache.size());
}

TEST(ExpiringCache, CapacityZeroKeepsNothing) {
  ExpiringCache<int> cache(0);
  cache.insert("a", 1, 200);
  EXPECT_FALSE(cache.find("a", 100));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ExpiringCache, ConcurrentUseStaysBoundedAndConsistent) {
  ExpiringCache<std::string> cache(256);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string key = std::to_string((i * 7 + t) % 500);
        cache.insert(key, "v" + key, 1'000);
        if (auto v = cache.find(key, 0)) {
          EXPECT_EQ(*v, "v" + key);
        }
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.size(), 256u);
}

}  // namespace
}  // namespace archon
