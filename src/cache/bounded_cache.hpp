// The L1 cache: in memory, bounded by item count (least recently used goes first), entries
// expire after their TTL, sharded so I/O threads rarely meet on a lock. Thread-safe.
//
// Invalidation must win against a concurrent read-through: a reader that missed, read the
// store, and puts the value back after a writer invalidated the key would resurrect the old
// value. get() therefore hands out a ticket (the shard's invalidation epoch) and put() stores
// nothing if the shard saw an invalidation since.
#pragma once
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace archon::cache {

template <class V>
class BoundedCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kShards = 16;

  struct Ticket {
    std::size_t shard = 0;
    std::uint64_t epoch = 0;
  };

  explicit BoundedCache(std::size_t max_items) : per_shard_(std::max<std::size_t>(1, (max_items + kShards - 1) / kShards)) {}

  // The value, or nullopt and a ticket for the put() after the store read.
  std::optional<V> get(const std::string& key, Ticket* ticket, Clock::time_point now = Clock::now()) {
    std::size_t s = shard_of(key);
    Shard& shard = shards_[s];
    std::lock_guard lock(shard.mu);
    if (auto it = shard.index.find(key); it != shard.index.end()) {
      if (it->second->expires > now) {
        shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
        return it->second->value;
      }
      shard.lru.erase(it->second);
      shard.index.erase(it);
    }
    if (ticket) *ticket = {s, shard.epoch};
    return std::nullopt;
  }

  void put(const std::string& key, V value, std::chrono::seconds ttl, const Ticket& ticket,
           Clock::time_point now = Clock::now()) {
    Shard& shard = shards_[ticket.shard];
    std::lock_guard lock(shard.mu);
    if (shard.epoch != ticket.epoch) return;  // invalidated while the caller read the store
    if (auto it = shard.index.find(key); it != shard.index.end()) {
      shard.lru.erase(it->second);
      shard.index.erase(it);
    }
    shard.lru.push_front(Entry{key, std::move(value), now + ttl});
    shard.index.emplace(key, shard.lru.begin());
    while (shard.lru.size() > per_shard_) {
      shard.index.erase(shard.lru.back().key);
      shard.lru.pop_back();
    }
  }

  void invalidate(const std::string& key) {
    Shard& shard = shards_[shard_of(key)];
    std::lock_guard lock(shard.mu);
    ++shard.epoch;
    if (auto it = shard.index.find(key); it != shard.index.end()) {
      shard.lru.erase(it->second);
      shard.index.erase(it);
    }
  }

  void invalidate_all() {
    for (auto& shard : shards_) {
      std::lock_guard lock(shard.mu);
      ++shard.epoch;
      shard.index.clear();
      shard.lru.clear();
    }
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (auto& shard : shards_) {
      std::lock_guard lock(shard.mu);
      n += shard.lru.size();
    }
    return n;
  }
  std::size_t capacity() const { return per_shard_ * kShards; }

 private:
  struct Entry {
    std::string key;
    V value;
    Clock::time_point expires;
  };
  struct Shard {
    mutable std::mutex mu;
    std::list<Entry> lru;  // most recent first
    std::unordered_map<std::string, typename std::list<Entry>::iterator> index;
    std::uint64_t epoch = 0;
  };
  std::size_t shard_of(const std::string& key) const { return std::hash<std::string>{}(key) % kShards; }

  std::size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace archon::cache
