#include "api/route_table.hpp"

#include "api/authn.hpp"

namespace archon::api {

http::RouteOptions json_body(std::vector<http::FieldSpec> fields) {
  http::RouteOptions o;
  o.json_body = true;
  if (!fields.empty()) o.schema = std::make_shared<http::BodySchema>(http::BodySchema{std::move(fields)});
  return o;
}

void add_routes(http::Router& router, const Services& svc, const std::vector<RouteRow>& rows) {
  for (const RouteRow& row : rows) {
    http::RouteOptions options = row.options;
    options.rate_limit_tier = std::string(row.tier.name);
    options.rate_limit_by_address = row.tier.by_address;
    bool needs_user = row.access.kind == Access::Kind::kUser || row.access.kind == Access::Kind::kPermission;
    // A JSON route's caller is authenticated before its body is parsed (the spec's step 4), so
    // an unauthenticated caller learns nothing about body validation.
    if (needs_user && options.json_body && !options.authenticate) options.authenticate = bearer_required(svc);
    RouteHandler handler = row.handler;
    Access access = row.access;
    router.add(
        row.method, std::string(row.path),
        [svc, handler, access](http::Exchange& ex) -> boost::asio::awaitable<void> {
          CallerToken caller;
          if (access.kind == Access::Kind::kUser) {
            auto user = require_user(ex, svc);
            if (!user) {
              ex.fail(user.error());
              co_return;
            }
            caller = std::move(*user);
          } else if (access.kind == Access::Kind::kPermission) {
            caller = require_user_with_permission(ex, svc, access.permission);
            if (!caller) co_return;
          }
          co_await handler(ex, svc, caller);
        },
        std::move(options));
  }
}

}  // namespace archon::api
