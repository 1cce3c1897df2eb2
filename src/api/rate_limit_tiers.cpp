#include "api/rate_limit_tiers.hpp"

#include <stdexcept>
#include <string_view>

namespace archon::api {
namespace {

struct TierEntry {
  http::Verb method;
  std::string_view path;
  std::string_view tier;   // "" = not limited
  bool by_address = false;  // the principal limit counts the client address
};

constexpr std::string_view kHealth = "public.health_check";
constexpr std::string_view kDocs = "public.documentation";
constexpr std::string_view kLogin = "authentication.login";
constexpr std::string_view kRegister = "authentication.register";
constexpr std::string_view kReset = "authentication.password_reset";
constexpr std::string_view kUser = "api_access.authenticated";
constexpr std::string_view kAgent = "api_access.agent";
constexpr std::string_view kAdmin = "api_access.admin";

using V = http::Verb;
constexpr TierEntry kTable[] = {
    {V::get, "/health", kHealth},
    {V::get, "/health/live", kHealth},
    {V::get, "/health/ready", kHealth},
    {V::get, "/metrics", ""},  // scraped from the internal network; never limited
    {V::get, "/api/v2/openapi.json", kDocs},
    {V::get, "/docs", kDocs},
    {V::get, "/docs/{asset}", kDocs},
    {V::get, "/.well-known/jwks.json", kDocs},
    {V::get, "/.well-known/openid-configuration", kDocs},
    {V::get, "/.well-known/oauth-authorization-server", kDocs},
    {V::post, "/api/v2/auth/introspect", kUser},            // per caller (client id or admin)
    {V::post, "/api/v2/auth/revoke", kUser, true},          // possession only: per address
    {V::post, "/api/v2/auth/register", kRegister},
    {V::post, "/api/v2/auth/verify-email", kUser, true},    // a 256-bit token: per address, generously
    {V::post, "/api/v2/auth/verify-email/resend", kReset},  // sends mail: per address and per email
    {V::post, "/api/v2/auth/login", kLogin},
    {V::post, "/api/v2/auth/refresh", kUser, true},
    {V::post, "/api/v2/auth/logout", kUser},
    {V::post, "/api/v2/auth/password-reset", kReset},
    {V::post, "/api/v2/auth/password-reset/confirm", kReset, true},
    {V::get, "/api/v2/users/me", kUser},
    {V::put, "/api/v2/users/me", kUser},
    {V::put, "/api/v2/users/me/password", kUser},
    {V::get, "/api/v2/users/me/sessions", kUser},
    {V::delete_, "/api/v2/users/me/sessions/{id}", kUser},
    {V::get, "/api/v2/users/me/security-events", kUser},
    {V::get, "/api/v2/users", kAdmin},
    {V::get, "/api/v2/users/{id}", kAdmin},
    {V::patch, "/api/v2/users/{id}", kAdmin},
    {V::delete_, "/api/v2/users/{id}", kAdmin},
    {V::get, "/api/v2/users/{id}/sessions", kAdmin},
    {V::delete_, "/api/v2/users/{id}/sessions/{session_id}", kAdmin},
    {V::get, "/api/v2/audit", kAdmin},
    {V::get, "/api/v2/agents/types", kUser},
    {V::post, "/api/v2/auth/agents/authenticate", kAgent},  // per user minting
    {V::post, "/api/v2/auth/agents/delegate", kAgent},      // per parent agent
    {V::post, "/api/v2/auth/agents/verify", kAgent},        // per tool server, or per agent asking about itself
    {V::get, "/api/v2/auth/agents/tokens", kAgent},
    {V::delete_, "/api/v2/auth/agents/tokens/{id}", kAgent},
    {V::get, "/api/v2/admin/roles/{role}/agent-grants", kAdmin},
    {V::put, "/api/v2/admin/roles/{role}/agent-grants", kAdmin},
};

}  // namespace

void assign_rate_limit_tiers(http::Router& router) {
  router.for_each_route([](http::Route& route) {
    for (const auto& e : kTable) {
      if (e.method == route.method && e.path == route.path_template) {
        route.options.rate_limit_tier = std::string(e.tier);
        route.options.rate_limit_by_address = e.by_address;
        return;
      }
    }
    throw std::logic_error("no rate-limit tier chosen for " + std::string(http::bhttp::to_string(route.method)) + " " +
                           route.path_template + " (api/rate_limit_tiers.cpp)");
  });
}

}  // namespace archon::api
