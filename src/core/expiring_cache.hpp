// A bounded map from string keys to values that die at a known time: what the verified-token
// cache and the agent-restrictions cache have in common. Sharded so I/O threads rarely contend;
// FIFO eviction (for short-lived tokens the oldest entry is the nearest to expiry). Expired
// entries are not returned, and leave as newer ones push them out. Thread-safe.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace archon {

template <class Value>
class ExpiringCache {
 public:
  // capacity 0 turns the cache off: find never hits, insert keeps nothing.
  explicit ExpiringCache(std::size_t capacity) : per_shard_capacity_((capacity + kShards - 1) / kShards) {}

  // The value stored under `key`, unless it expired before `now`.
  std::optional<Value> find(const std::string& key, std::int64_t now) const {
    if (per_shard_capacity_ == 0) return std::nullopt;
    Shard& s = shard_for(key);
    std::lock_guard lock(s.mu);
    auto it = s.entries.find(key);
    if (it == s.entries.end() || it->second.expires_at < now) return std::nullopt;
    return it->second.value;
  }

  // Keeps the first value stored under a key: callers store only what is derived from the key.
  void insert(const std::string& key, Value value, std::int64_t expires_at) {
    if (per_shard_capacity_ == 0) return;
    Shard& s = shard_for(key);
    std::lock_guard lock(s.mu);
    if (!s.entries.try_emplace(key, Entry{std::move(value), expires_at}).second) return;
    s.order.push_back(key);
    while (s.entries.size() > per_shard_capacity_) {
      s.entries.erase(s.order.front());
      s.order.pop_front();
    }
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (auto& s : shards_) {
      std::lock_guard lock(s.mu);
      n += s.entries.size();
    }
    return n;
  }

 private:
  static constexpr std::size_t kShards = 16;
  struct Entry {
    Value value;
    std::int64_t expires_at;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> entries;
    std::deque<std::string> order;  // insertion order, for eviction
  };
  Shard& shard_for(const std::string& key) const { return shards_[std::hash<std::string>{}(key) % kShards]; }

  std::size_t per_shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace archon
