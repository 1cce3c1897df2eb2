// Remembers tokens whose signature and claims verified, keyed by the SHA-256 of the token, so
// each signature is checked once. Bounded (entries), entries die at the token's exp.
// Revocation is NOT cached here: callers check the deny-lists on every use. Thread-safe,
// sharded so I/O threads rarely contend.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tokens/verified_token.hpp"

namespace archon::tokens {

class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(std::size_t capacity);

  // The digest used as the key: SHA-256 of the token text, raw 32 bytes.
  static std::string digest(std::string_view token);

  std::shared_ptr<const VerifiedToken> find(const std::string& digest, std::int64_t now) const;
  void insert(const std::string& digest, std::shared_ptr<const VerifiedToken> token);
  std::size_t size() const;

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<const VerifiedToken>> entries;
    std::deque<std::string> order;  // insertion order, for eviction
  };
  Shard& shard_for(const std::string& digest) const;

  std::size_t per_shard_capacity_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace archon::tokens
