// The X-API-Key credential of services: authenticated against the store on every request (so a
// revoked key is refused at once on every instance), limited in its own rate-limit tier
// (api_access.api_key, per key), and checked for the scope the route needs. The key itself is
// never logged or echoed.
#pragma once
#include <string_view>

#include "api/caller_auth.hpp"
#include "api/route_table.hpp"
#include "core/errors.hpp"
#include "core/expected.hpp"
#include "http/exchange.hpp"
#include "store/api_key_repository.hpp"

namespace archon::api {

inline constexpr std::string_view kApiKeyTier = "api_access.api_key";

// True when the request carries an X-API-Key header (of any value).
bool has_api_key(const http::Request& request);

// 401 AUTH_TOKEN_INVALID for a key that is malformed, unknown, revoked or expired, or when the
// request also carries Authorization (one credential per request); 429 when the key's tier is
// used up; 403 AUTH_INSUFFICIENT_PERMISSIONS when the key lacks `scope`.
Expected<store::ApiKeyRecord, ApiError> require_api_key(http::Exchange& ex, const Services& svc,
                                                        std::string_view scope);

// The actor name of a key in audit rows and logs: "api_key:<id>".
std::string api_key_actor(const store::ApiKeyRecord& key);

// A caller standing for the key, for handlers that take the caller's subject as the actor.
CallerToken api_key_caller(const store::ApiKeyRecord& key);

// The caller of a resource-server endpoint: an X-API-Key holding `scope` when the request carries
// one (the key's tier limits it), else authenticate_caller (Basic client or admin Bearer).
Expected<std::optional<Caller>, ApiError> authenticate_service_caller(http::Exchange& ex, const Services& svc,
                                                                      std::string_view scope);

}  // namespace archon::api
