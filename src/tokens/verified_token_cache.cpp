#include "tokens/verified_token_cache.hpp"

#include "crypto/random.hpp"

namespace archon::tokens {

std::string VerifiedTokenCache::digest(std::string_view token) { return crypto::sha256(token); }

}  // namespace archon::tokens
