// Every route's rate-limit tier and how its principal limit is keyed, as docs/rate-limits.md
// lists them: the route tables state them per row; this pins the whole set.
#include "api/route_table.hpp"

#include <map>

#include <gtest/gtest.h>

namespace archon::api {
namespace {

struct Expected {
  const char* method;
  const char* path;
  const char* tier;
  bool by_address;
};

// docs/rate-limits.md, route by route.
const Expected kTiers[] = {
    {"GET", "/health", "public.health_check", false},
    {"GET", "/health/live", "public.health_check", false},
    {"GET", "/health/ready", "public.health_check", false},
    {"GET", "/metrics", "", false},
    {"GET", "/api/v2/openapi.json", "public.documentation", false},
    {"GET", "/docs", "public.documentation", false},
    {"GET", "/docs/{asset}", "public.documentation", false},
    {"GET", "/admin", "public.documentation", false},
    {"GET", "/admin/{asset}", "public.documentation", false},
    {"GET", "/.well-known/jwks.json", "public.documentation", false},
    {"GET", "/.well-known/openid-configuration", "public.documentation", false},
    {"GET", "/.well-known/oauth-authorization-server", "public.documentation", false},
    {"POST", "/api/v2/auth/introspect", "api_access.authenticated", false},
    {"POST", "/api/v2/auth/revoke", "api_access.authenticated", true},
    {"POST", "/api/v2/auth/register", "authentication.register", false},
    {"POST", "/api/v2/auth/verify-email", "api_access.authenticated", true},
    {"POST", "/api/v2/auth/verify-email/resend", "authentication.password_reset", false},
    {"POST", "/api/v2/auth/login", "authentication.login", false},
    {"POST", "/api/v2/auth/refresh", "api_access.authenticated", true},
    {"POST", "/api/v2/auth/logout", "api_access.authenticated", false},
    {"POST", "/api/v2/auth/password-reset", "authentication.password_reset", false},
    {"POST", "/api/v2/auth/password-reset/confirm", "authentication.password_reset", true},
    {"GET", "/api/v2/users/me", "api_access.authenticated", false},
    {"PUT", "/api/v2/users/me", "api_access.authenticated", false},
    {"PUT", "/api/v2/users/me/password", "api_access.authenticated", false},
    {"GET", "/api/v2/users/me/sessions", "api_access.authenticated", false},
    {"DELETE", "/api/v2/users/me/sessions/{id}", "api_access.authenticated", false},
    {"GET", "/api/v2/users/me/security-events", "api_access.authenticated", false},
    {"GET", "/api/v2/users", "api_access.admin", false},
    {"GET", "/api/v2/users/{id}", "api_access.admin", false},
    {"PATCH", "/api/v2/users/{id}", "api_access.admin", false},
    {"DELETE", "/api/v2/users/{id}", "api_access.admin", false},
    {"GET", "/api/v2/users/{id}/sessions", "api_access.admin", false},
    {"DELETE", "/api/v2/users/{id}/sessions/{session_id}", "api_access.admin", false},
    {"GET", "/api/v2/audit", "api_access.admin", false},
    {"GET", "/api/v2/agents/types", "api_access.authenticated", false},
    {"POST", "/api/v2/auth/agents/authenticate", "api_access.agent", false},
    {"POST", "/api/v2/auth/agents/delegate", "api_access.agent", false},
    {"POST", "/api/v2/auth/agents/verify", "api_access.agent", false},
    {"GET", "/api/v2/auth/agents/tokens", "api_access.agent", false},
    {"DELETE", "/api/v2/auth/agents/tokens/{id}", "api_access.agent", false},
    {"GET", "/api/v2/admin/roles/{role}/agent-grants", "api_access.admin", false},
    {"PUT", "/api/v2/admin/roles/{role}/agent-grants", "api_access.admin", false},
    {"POST", "/api/v2/admin/api-keys", "api_access.admin", false},
    {"GET", "/api/v2/admin/api-keys", "api_access.admin", false},
    {"GET", "/api/v2/admin/api-keys/{id}", "api_access.admin", false},
    {"DELETE", "/api/v2/admin/api-keys/{id}", "api_access.admin", false},
    {"DELETE", "/api/v2/users/{id}/sessions", "api_access.admin", false},
    {"POST", "/api/v2/users/{id}/password-reset", "api_access.admin", false},
    {"GET", "/api/v2/users/{id}/lockout", "api_access.admin", false},
    {"DELETE", "/api/v2/users/{id}/lockout", "api_access.admin", false},
    {"GET", "/api/v2/audit/verify", "api_access.admin", false},
    {"GET", "/api/v2/admin/agents/tokens", "api_access.admin", false},
    {"DELETE", "/api/v2/admin/agents/tokens/{id}", "api_access.admin", false},
    {"POST", "/api/v2/admin/agents/revoke", "api_access.admin", false},
    {"POST", "/api/v2/admin/webhooks", "api_access.admin", false},
    {"GET", "/api/v2/admin/webhooks", "api_access.admin", false},
    {"GET", "/api/v2/admin/webhooks/{id}", "api_access.admin", false},
    {"PATCH", "/api/v2/admin/webhooks/{id}", "api_access.admin", false},
    {"DELETE", "/api/v2/admin/webhooks/{id}", "api_access.admin", false},
    {"POST", "/api/v2/admin/webhooks/{id}/rotate-secret", "api_access.admin", false},
    {"GET", "/api/v2/admin/webhooks/{id}/deliveries", "api_access.admin", false},
    {"POST", "/api/v2/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver", "api_access.admin", false},
};

TEST(RouteTable, EveryRouteHasTheTierTheDocumentationLists) {
  http::Router router;
  register_all_routes(router, Services{});
  std::size_t seen = 0;
  router.for_each_route([&](http::Route& route) {
    std::string method(http::bhttp::to_string(route.method));
    const Expected* e = nullptr;
    for (const auto& t : kTiers)
      if (method == t.method && route.path_template == t.path) e = &t;
    ASSERT_NE(e, nullptr) << method << " " << route.path_template << " is not in this list";
    EXPECT_EQ(route.options.rate_limit_tier, e->tier) << method << " " << route.path_template;
    EXPECT_EQ(route.options.rate_limit_by_address, e->by_address) << method << " " << route.path_template;
    ++seen;
  });
  EXPECT_EQ(seen, std::size(kTiers));
}

TEST(RouteTable, UserRoutesWithABodyAuthenticateBeforeTheBodyIsRead) {
  http::Router router;
  register_all_routes(router, Services{});
  int checked = 0;
  router.for_each_route([&](http::Route& route) {
    if (route.options.json_body && route.path_template.find("/users/me") != std::string::npos) {
      EXPECT_TRUE(route.options.authenticate) << route.path_template;
      ++checked;
    }
  });
  EXPECT_EQ(checked, 2);  // PUT /users/me and PUT /users/me/password
}

}  // namespace
}  // namespace archon::api
