// Remembers tokens whose signature and claims verified, keyed by the SHA-256 of the token, so
// each signature is checked once. Bounded (entries), entries die at the token's exp.
// Revocation is NOT cached here: callers check the deny-lists on every use. Thread-safe.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/expiring_cache.hpp"
#include "tokens/verified_token.hpp"

namespace archon::tokens {

class VerifiedTokenCache {
 public:
  explicit VerifiedTokenCache(std::size_t capacity) : entries_(capacity) {}

  // The digest used as the key: SHA-256 of the token text, raw 32 bytes.
  static std::string digest(std::string_view token);

  std::shared_ptr<const VerifiedToken> find(const std::string& digest, std::int64_t now) const {
    return entries_.find(digest, now).value_or(nullptr);
  }
  void insert(const std::string& digest, std::shared_ptr<const VerifiedToken> token) {
    std::int64_t expires_at = token->expires_at;
    entries_.insert(digest, std::move(token), expires_at);
  }
  std::size_t size() const { return entries_.size(); }

 private:
  ExpiringCache<std::shared_ptr<const VerifiedToken>> entries_;
};

}  // namespace archon::tokens
