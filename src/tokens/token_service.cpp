#include "tokens/token_service.hpp"

#include <openssl/rand.h>

#include "crypto/base64url.hpp"
#include "crypto/jwt.hpp"

namespace archon::tokens {
namespace {

constexpr std::size_t kMaxTokenBytes = 8192;

std::string random_jti() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
  return crypto::base64url_encode(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
}

const boost::json::string* string_claim(const boost::json::object& o, std::string_view name) {
  auto it = o.find(name);
  return it != o.end() && it->value().is_string() ? &it->value().get_string() : nullptr;
}

// NumericDate: an integer number of seconds (fractions are refused rather than rounded).
std::optional<std::int64_t> time_claim(const boost::json::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64() && it->value().get_uint64() < (1ULL << 62))
    return static_cast<std::int64_t>(it->value().get_uint64());
  return std::nullopt;
}

bool audience_matches(const boost::json::object& claims, std::string_view expected) {
  auto it = claims.find("aud");
  if (it == claims.end()) return false;
  if (it->value().is_string()) return it->value().get_string() == expected;
  if (it->value().is_array()) {
    for (const auto& a : it->value().get_array())
      if (a.is_string() && a.get_string() == expected) return true;
  }
  return false;
}

}  // namespace

const char* describe(TokenError e) noexcept {
  switch (e) {
    case TokenError::kMalformed: return "malformed token";
    case TokenError::kUnknownKey: return "unknown signing key";
    case TokenError::kWrongKind: return "token of the wrong kind";
    case TokenError::kBadSignature: return "bad signature";
    case TokenError::kWrongType: return "wrong token type";
    case TokenError::kWrongIssuer: return "wrong issuer";
    case TokenError::kWrongAudience: return "wrong audience";
    case TokenError::kMissingClaim: return "missing or invalid claim";
    case TokenError::kExpired: return "expired";
    case TokenError::kNotYetValid: return "not yet valid";
    case TokenError::kRevoked: return "revoked";
  }
  return "invalid token";
}

TokenService::TokenService(Keyring& keyring, RevocationList& revocations, const TokensConfig& config,
                           EpochClock clock)
    : keyring_(keyring),
      revocations_(revocations),
      config_(config),
      clock_(std::move(clock)),
      cache_(config.verified_cache_entries) {}

IssuedToken TokenService::issue(TokenKind kind, boost::json::object claims, std::chrono::seconds ttl) {
  auto snap = keyring_.snapshot();
  const auto& lifetime = kind == TokenKind::kAccess ? config_.access.lifetime : config_.agent.lifetime;
  std::int64_t now = clock_();
  IssuedToken out;
  out.issued_at = now;
  out.expires_at = now + std::min(ttl, lifetime).count();
  if (auto* j = string_claim(claims, "jti")) out.jti = std::string(*j);
  else out.jti = random_jti();
  claims["iss"] = config_.issuer;
  claims["aud"] = kind_audience(kind);
  claims["iat"] = now;
  claims["exp"] = out.expires_at;
  claims["jti"] = out.jti;
  claims["type"] = kind_name(kind);
  out.token = crypto::encode(boost::json::object{{"typ", kind_typ(kind)}}, claims, snap->signer(kind));
  return out;
}

std::optional<TokenError> TokenService::check_live(const VerifiedToken& t, std::int64_t now) const {
  const std::int64_t leeway = config_.leeway.count();
  if (t.expires_at + leeway <= now) return TokenError::kExpired;
  if (revocations_.is_revoked(RevocationSubject::kJti, t.jti)) return TokenError::kRevoked;
  if (revocations_.is_revoked(RevocationSubject::kSession, t.session_id)) return TokenError::kRevoked;
  for (const auto& id : t.lineage)
    if (revocations_.is_revoked(RevocationSubject::kFamily, id)) return TokenError::kRevoked;
  return std::nullopt;
}

Expected<Verification, TokenError> TokenService::verify(std::string_view token, TokenKind expected) const {
  return verify_impl(token, expected);
}

Expected<Verification, TokenError> TokenService::verify_any(std::string_view token) const {
  return verify_impl(token, std::nullopt);
}

Expected<Verification, TokenError> TokenService::verify_impl(std::string_view token,
                                                            std::optional<TokenKind> expected) const {
  if (token.empty() || token.size() > kMaxTokenBytes) return Unexpected{TokenError::kMalformed};
  std::int64_t now = clock_();
  std::string digest = VerifiedTokenCache::digest(token);

  if (auto cached = cache_.find(digest, now)) {
    if (expected && cached->kind != *expected) return Unexpected{TokenError::kWrongKind};
    if (auto e = check_live(*cached, now)) return Unexpected{*e};
    return Verification{cached, true};
  }

  auto parsed = crypto::parse_compact(token, kMaxTokenBytes);
  if (!parsed) return Unexpected{TokenError::kMalformed};
  auto snap = keyring_.snapshot();
  auto key = snap->by_kid.find(parsed->kid);
  if (key == snap->by_kid.end()) {
    if (!keyring_.refresh_for_unknown_kid()) return Unexpected{TokenError::kUnknownKey};
    snap = keyring_.snapshot();
    key = snap->by_kid.find(parsed->kid);
    if (key == snap->by_kid.end()) return Unexpected{TokenError::kUnknownKey};
  }
  TokenKind kind = key->second.kind;
  if (expected && kind != *expected) return Unexpected{TokenError::kWrongKind};
  if (!crypto::verify_signature(*parsed, key->second.key)) return Unexpected{TokenError::kBadSignature};

  // The signature is good; now the claims, all required, all exact.
  const auto& header = parsed->header;
  const auto& claims = parsed->payload;
  auto* typ = string_claim(header, "typ");
  auto* type = string_claim(claims, "type");
  if (!typ || *typ != kind_typ(kind) || !type || *type != kind_name(kind)) return Unexpected{TokenError::kWrongType};
  auto* iss = string_claim(claims, "iss");
  if (!iss || *iss != config_.issuer) return Unexpected{TokenError::kWrongIssuer};
  if (!audience_matches(claims, kind_audience(kind))) return Unexpected{TokenError::kWrongAudience};
  auto exp = time_claim(claims, "exp");
  auto iat = time_claim(claims, "iat");
  auto* jti = string_claim(claims, "jti");
  auto* sub = string_claim(claims, "sub");
  if (!exp || !iat || !jti || jti->empty() || !sub || sub->empty()) return Unexpected{TokenError::kMissingClaim};
  const std::int64_t leeway = config_.leeway.count();
  if (claims.contains("nbf")) {
    auto nbf = time_claim(claims, "nbf");
    if (!nbf) return Unexpected{TokenError::kMissingClaim};
    if (*nbf > now + leeway) return Unexpected{TokenError::kNotYetValid};
  }
  if (*iat > now + leeway) return Unexpected{TokenError::kNotYetValid};

  auto vt = std::make_shared<VerifiedToken>();
  vt->kind = kind;
  vt->kid = parsed->kid;
  vt->jti = std::string(*jti);
  vt->subject = std::string(*sub);
  if (auto* sid = string_claim(claims, "session_id")) vt->session_id = std::string(*sid);
  if (kind == TokenKind::kAgent) {
    if (auto* id = string_claim(claims, "agent_id")) vt->lineage.emplace_back(*id);
    const boost::json::value* act = claims.if_contains("act");
    for (int depth = 0; act && act->is_object() && depth < 16; ++depth) {  // RFC 8693 nesting
      if (auto* actor = string_claim(act->get_object(), "sub")) vt->lineage.emplace_back(*actor);
      act = act->get_object().if_contains("act");
    }
  }
  vt->issued_at = *iat;
  vt->expires_at = *exp;
  vt->claims = claims;
  if (auto e = check_live(*vt, now)) return Unexpected{*e};
  std::shared_ptr<const VerifiedToken> shared = std::move(vt);
  cache_.insert(digest, shared);
  return Verification{std::move(shared), false};
}

}  // namespace archon::tokens
