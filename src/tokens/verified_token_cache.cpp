#include "tokens/verified_token_cache.hpp"

#include "crypto/random.hpp"

namespace archon::tokens {

VerifiedTokenCache::VerifiedTokenCache(std::size_t capacity)
    : per_shard_capacity_((capacity + kShards - 1) / kShards) {}

std::string VerifiedTokenCache::digest(std::string_view token) { return crypto::sha256(token); }

VerifiedTokenCache::Shard& VerifiedTokenCache::shard_for(const std::string& digest) const {
  // The digest is uniformly random: its first byte picks a shard evenly.
  return shards_[static_cast<unsigned char>(digest[0]) % kShards];
}

std::shared_ptr<const VerifiedToken> VerifiedTokenCache::find(const std::string& digest, std::int64_t now) const {
  if (per_shard_capacity_ == 0) return nullptr;
  Shard& s = shard_for(digest);
  std::lock_guard lock(s.mu);
  auto it = s.entries.find(digest);
  if (it == s.entries.end()) return nullptr;
  if (it->second->expires_at < now) return nullptr;  // expired entries are evicted by insert
  return it->second;
}

void VerifiedTokenCache::insert(const std::string& digest, std::shared_ptr<const VerifiedToken> token) {
  if (per_shard_capacity_ == 0) return;
  Shard& s = shard_for(digest);
  std::lock_guard lock(s.mu);
  if (!s.entries.emplace(digest, std::move(token)).second) return;
  s.order.push_back(digest);
  // FIFO eviction: oldest first. Tokens are short-lived, so the oldest is the nearest to expiry.
  while (s.entries.size() > per_shard_capacity_) {
    s.entries.erase(s.order.front());
    s.order.pop_front();
  }
}

std::size_t VerifiedTokenCache::size() const {
  std::size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mu);
    n += s.entries.size();
  }
  return n;
}

}  // namespace archon::tokens
