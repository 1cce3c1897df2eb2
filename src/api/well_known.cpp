// GET /.well-known/jwks.json, /.well-known/openid-configuration and (RFC 8414)
// /.well-known/oauth-authorization-server: what a resource server needs to verify tokens offline. Plain JSON (not the envelope): standard JOSE and OAuth
// libraries read these documents as RFC 7517 and RFC 8414 define them.
#include "api/route_table.hpp"
#include "core/json_writer.hpp"
#include "http/exchange.hpp"

namespace archon::api {
namespace {

using Task = boost::asio::awaitable<void>;

// What OpenID Discovery and RFC 8414 share: the issuer (tokens.issuer, by default the public URL
// these documents are served under) and the endpoints a resource server needs.
boost::json::object discovery_document(const TokensConfig& c) {
  return boost::json::object{
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
}

Task jwks(http::Exchange& ex, const Services& svc, const CallerToken&) {
  ex.reply_raw(http::Status::ok, "application/jwk-set+json", svc.keyring->snapshot()->jwks_json);
  co_return;
}

Task openid_configuration(http::Exchange& ex, const Services& svc, const CallerToken&) {
  ex.reply_raw(http::Status::ok, "application/json", json::write(discovery_document(*svc.tokens_config)));
  co_return;
}

// RFC 8414 §3: the same metadata where OAuth 2.0 clients look for it. There is no authorization
// or token endpoint yet, so no response type or grant type is offered (the members are present
// because RFC 8414 §2 requires response_types_supported).
Task authorization_server_metadata(http::Exchange& ex, const Services& svc, const CallerToken&) {
  boost::json::object doc = discovery_document(*svc.tokens_config);
  doc["response_types_supported"] = boost::json::array{};
  doc["grant_types_supported"] = boost::json::array{};
  ex.reply_raw(http::Status::ok, "application/json", json::write(doc));
  co_return;
}

}  // namespace

void register_well_known_routes(http::Router& router, const Services& svc) {
  using http::Verb;
  http::RouteOptions cached;
  // Shorter than the key propagation delay (600 s by default), so every cache holds a new key
  // before the first token it signed arrives.
  cached.cache_max_age = std::chrono::seconds(300);
  cached.in_memory_only = true;

  add_routes(router, svc,
             {
                 {Verb::get, "/.well-known/jwks.json", tier::kDocs, access::kAnyone, jwks, cached},
                 {Verb::get, "/.well-known/openid-configuration", tier::kDocs, access::kAnyone, openid_configuration,
                  cached},
                 {Verb::get, "/.well-known/oauth-authorization-server", tier::kDocs, access::kAnyone,
                  authorization_server_metadata, cached},
             });
}

}  // namespace archon::api
