// GET /.well-known/jwks.json and /.well-known/openid-configuration: what a resource server
// needs to verify tokens offline. Plain JSON (not the envelope): standard JOSE and OAuth
// libraries read these documents as RFC 7517 and RFC 8414 define them.
#include "api/routes.hpp"
#include "core/json_writer.hpp"
#include "http/exchange.hpp"

namespace archon::api {

void register_well_known_routes(http::Router& router, const Services& svc) {
  http::RouteOptions cached;
  // Shorter than the key propagation delay (600 s by default), so every cache holds a new key
  // before the first token it signed arrives.
  cached.cache_max_age = std::chrono::seconds(300);
  cached.in_memory_only = true;

  router.add(
      http::Verb::get, "/.well-known/jwks.json",
      [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
        ex.reply_raw(http::Status::ok, "application/jwk-set+json", svc.keyring->snapshot()->jwks_json);
        co_return;
      },
      cached);

  router.add(
      http::Verb::get, "/.well-known/openid-configuration",
      [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
        const auto& c = *svc.tokens_config;
        boost::json::object doc{
            {"issuer", c.issuer},
            {"jwks_uri", c.public_url + "/.well-known/jwks.json"},
            {"introspection_endpoint", c.public_url + "/api/v2/auth/introspect"},
            {"revocation_endpoint", c.public_url + "/api/v2/auth/revoke"},
            {"introspection_endpoint_auth_methods_supported", boost::json::array{"client_secret_basic", "bearer"}},
            {"revocation_endpoint_auth_methods_supported", boost::json::array{"none", "client_secret_basic", "bearer"}},
            {"token_types_supported", boost::json::array{"at+jwt", "agent+jwt"}},
            {"access_token_signing_alg_values_supported", boost::json::array{c.access.algorithm}},
            {"agent_token_signing_alg_values_supported", boost::json::array{c.agent.algorithm}},
            {"service_documentation", c.public_url + "/docs"}};
        ex.reply_raw(http::Status::ok, "application/json", json::write(doc));
        co_return;
      },
      cached);
}

}  // namespace archon::api
