#include "api/api_key_auth.hpp"

#include "api/authn.hpp"
#include "apikeys/api_key_service.hpp"

namespace archon::api {
namespace {

ApiError key_refused(const char* why) {
  return ApiError::make(ErrorCode::kAuthTokenInvalid, "The credential is not valid", {{"api_key", why}});
}

}  // namespace

bool has_api_key(const http::Request& request) { return request.find("X-API-Key") != request.end(); }

Expected<store::ApiKeyRecord, ApiError> require_api_key(http::Exchange& ex, const Services& svc,
                                                        std::string_view scope) {
  const auto& request = ex.request();
  auto header = request.find("X-API-Key");
  auto refuse = [&](const char* why) -> Expected<store::ApiKeyRecord, ApiError> {
    // Failed keys count against the client address, so guessing is rate limited too.
    if (auto limited = limit_unauthenticated(ex)) return Unexpected{std::move(*limited)};
    // RFC 9110 §15.5.2: a 401 names the scheme that would work.
    ex.response().set(http::bhttp::field::www_authenticate, "ApiKey realm=\"archon-auth\", header=\"X-API-Key\"");
    return Unexpected{key_refused(why)};
  };
  if (header == request.end()) return refuse("Send X-API-Key");
  if (request.find(http::bhttp::field::authorization) != request.end())
    return refuse("Send either Authorization or X-API-Key, not both");
  auto key = svc.api_keys->authenticate(std::string_view(header->value().data(), header->value().size()));
  if (!key) return refuse("Unknown, revoked or expired API key");
  if (!ex.context().rate_limit_tier.empty()) ex.context().rate_limit_tier = kApiKeyTier;
  if (auto limited = ex.limit_subject(key->id)) return Unexpected{std::move(*limited)};
  if (!apikeys::holds_scope(*key, scope))
    return Unexpected{ApiError::make(ErrorCode::kAuthInsufficientPermissions, {{"required_scope", scope}})};
  return std::move(*key);
}

std::string api_key_actor(const store::ApiKeyRecord& key) { return "api_key:" + key.id; }

CallerToken api_key_caller(const store::ApiKeyRecord& key) {
  auto token = std::make_shared<tokens::VerifiedToken>();
  token->kind = tokens::TokenKind::kAccess;
  token->subject = api_key_actor(key);
  token->jti = key.id;
  return token;
}

Expected<std::optional<Caller>, ApiError> authenticate_service_caller(http::Exchange& ex, const Services& svc,
                                                                      std::string_view scope) {
  if (!has_api_key(ex.request()))
    return authenticate_caller(ex.request(), *svc.token_service, *svc.service_clients, svc.identity_store);
  auto key = require_api_key(ex, svc, scope);
  if (!key) return Unexpected{key.error()};
  return std::optional<Caller>{Caller{Caller::Kind::kApiKey, api_key_actor(*key)}};
}

}  // namespace archon::api
