// The shape every route file shares: a table of rows, each stating the route (method and path
// template), its rate-limit tier, who may call it, and a small named handler. add_routes puts
// the rows on the router in order (the order `archon-auth routes` lists) and enforces what the
// table states before the handler runs: a user's access token, or a permission the user holds
// now (read from the store, so a role removed a moment ago no longer counts).
#pragma once
#include <memory>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "api/routes.hpp"
#include "http/router.hpp"
#include "tokens/verified_token.hpp"

namespace archon::api {

// The rate-limit tier of the spec's rate_limits block guarding a route (docs/rate-limits.md).
struct Tier {
  std::string_view name;     // empty: not limited
  bool by_address = false;   // the principal limit counts the client address (no identity to name)
};
namespace tier {
inline constexpr Tier kNone{""};  // scraped from the internal network (metrics)
inline constexpr Tier kHealth{"public.health_check"};
inline constexpr Tier kDocs{"public.documentation"};
inline constexpr Tier kLogin{"authentication.login"};
inline constexpr Tier kRegister{"authentication.register"};
inline constexpr Tier kReset{"authentication.password_reset"};
inline constexpr Tier kResetByAddress{"authentication.password_reset", true};
inline constexpr Tier kUser{"api_access.authenticated"};
inline constexpr Tier kUserByAddress{"api_access.authenticated", true};
inline constexpr Tier kAgent{"api_access.agent"};
inline constexpr Tier kAdmin{"api_access.admin"};
}  // namespace tier

// Who may call a route. kUser and kPermission are checked by add_routes (the handler gets the
// verified caller); the others name a credential the handler itself verifies.
struct Access {
  enum class Kind {
    kAnyone,            // no credential
    kUser,              // a valid access token
    kPermission,        // an active user holding `permission`
    kTokenHolder,       // possession of the token the request carries (refresh, revoke, email links)
    kAgent,             // an agent token, or the user minting one (the handler tells which)
    kServiceClient,     // a registered service client (Basic) or an administrator's access token
    kInternalNetwork,   // operators' scrapers (metrics); keep it off the public listener
  };
  Kind kind = Kind::kAnyone;
  std::string_view permission;
};
namespace access {
inline constexpr Access kAnyone{Access::Kind::kAnyone};
inline constexpr Access kUser{Access::Kind::kUser};
inline constexpr Access kTokenHolder{Access::Kind::kTokenHolder};
inline constexpr Access kAgent{Access::Kind::kAgent};
inline constexpr Access kServiceClient{Access::Kind::kServiceClient};
inline constexpr Access kInternalNetwork{Access::Kind::kInternalNetwork};
constexpr Access permission(std::string_view name) { return {Access::Kind::kPermission, name}; }
}  // namespace access

// The verified caller for kUser and kPermission routes; null for the others.
using CallerToken = std::shared_ptr<const tokens::VerifiedToken>;
using RouteHandler = boost::asio::awaitable<void> (*)(http::Exchange&, const Services&, const CallerToken&);

struct RouteRow {
  http::Verb method;
  std::string_view path;
  Tier tier;
  Access access;
  RouteHandler handler;
  http::RouteOptions options = {};
};

void add_routes(http::Router& router, const Services& services, const std::vector<RouteRow>& rows);

// Options for a route with a strict JSON body checked against `fields`.
http::RouteOptions json_body(std::vector<http::FieldSpec> fields);

}  // namespace archon::api
