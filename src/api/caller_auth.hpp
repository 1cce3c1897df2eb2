// Who is calling a resource-server endpoint (introspection, revocation, agent verification):
// a service client with HTTP Basic credentials (`archon-auth clients create`), or a user whose
// access token carries the admin role. Secrets are compared in constant time and never logged.
#pragma once
#include <optional>
#include <string>

#include "core/errors.hpp"
#include "core/expected.hpp"
#include "http/types.hpp"
#include "store/identity_store.hpp"
#include "store/service_client_repository.hpp"
#include "tokens/token_service.hpp"

namespace archon::api {

struct Caller {
  enum class Kind { kServiceClient, kAdminUser, kApiKey };
  Kind kind;
  std::string id;  // client_id, the user's sub, or "api_key:<key id>"
};

// nullopt: no Authorization header at all. An error: a header that does not authenticate
// (401 AUTH_TOKEN_INVALID) or an authenticated user without the admin role (403).
// `users` (when given) is asked for the user's current roles, so a demoted administrator's
// still-valid token no longer counts; for a subject with no user row (a service account from
// `archon-auth tokens issue`) the token's roles claim is used.
Expected<std::optional<Caller>, ApiError> authenticate_caller(const http::Request& request,
                                                              const tokens::TokenService& tokens,
                                                              store::ServiceClientRepository& clients,
                                                              store::IdentityStore* users = nullptr);

// "Bearer <token>" -> token; empty if the header is absent or not a bearer credential.
std::string_view bearer_token(const http::Request& request);

// The service-client secret's stored form.
std::string hash_client_secret(std::string_view secret);

}  // namespace archon::api
