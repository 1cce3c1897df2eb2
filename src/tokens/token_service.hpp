// Issues and verifies the server's JWTs to RFC 8725 and RFC 9068: the algorithm comes from the
// key (never the token), the key from an exact kid match in memory (jku/x5u/jwk/x5c ignored),
// typ, iss, aud, exp, iat required, nbf honoured, kinds mutually exclusive, and revocation
// checked on every use. Thread-safe.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/config.hpp"
#include "core/expected.hpp"
#include "tokens/keyring.hpp"
#include "tokens/revocation_list.hpp"
#include "tokens/verified_token.hpp"
#include "tokens/verified_token_cache.hpp"

namespace archon::tokens {

enum class TokenError {
  kMalformed,       // size, charset, segments, base64url, JSON, alg or kid syntax
  kUnknownKey,      // no published key has this kid
  kWrongKind,       // a valid token of the other kind (agent for access, or the reverse)
  kBadSignature,
  kWrongType,       // typ header or type claim
  kWrongIssuer,
  kWrongAudience,
  kMissingClaim,    // exp, iat, jti or sub absent or of the wrong type
  kExpired,
  kNotYetValid,     // nbf or iat in the future beyond the leeway
  kRevoked,         // its jti, session or family is on a deny-list
};
const char* describe(TokenError e) noexcept;

struct IssuedToken {
  std::string token;
  std::string jti;
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
};

struct Verification {
  std::shared_ptr<const VerifiedToken> token;
  bool cache_hit = false;
};

class TokenService {
 public:
  TokenService(Keyring& keyring, RevocationList& revocations, const TokensConfig& config,
               EpochClock clock = system_epoch_seconds);

  // Signs `claims` plus iss, aud, iat, exp (now + min(ttl, the kind's lifetime)), jti (random,
  // unless given) and type. Throws std::runtime_error only if signing itself fails.
  IssuedToken issue(TokenKind kind, boost::json::object claims, std::chrono::seconds ttl);

  Expected<Verification, TokenError> verify(std::string_view token, TokenKind expected) const;

  // Verifies as whichever kind the token is (for introspection and revocation).
  Expected<Verification, TokenError> verify_any(std::string_view token) const;

  RevocationList& revocations() { return revocations_; }
  const TokensConfig& config() const { return config_; }
  // The issuer may depend on the port bound at start-up (port 0): `serve` sets it once, after
  // binding and before the I/O threads run, so no request ever sees it change.
  void set_issuer(std::string issuer) { config_.issuer = std::move(issuer); }

 private:
  Expected<Verification, TokenError> verify_impl(std::string_view token, std::optional<TokenKind> expected) const;
  std::optional<TokenError> check_live(const VerifiedToken& t, std::int64_t now) const;

  Keyring& keyring_;
  RevocationList& revocations_;
  TokensConfig config_;
  EpochClock clock_;
  mutable VerifiedTokenCache cache_;
};

}  // namespace archon::tokens
