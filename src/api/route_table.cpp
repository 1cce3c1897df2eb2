#include "api/route_table.hpp"

#include "api/api_key_auth.hpp"
#include "api/authn.hpp"

namespace archon::api {
namespace {

// kPermission: an active user holding the permission now, or an API key holding the scope of the
// same name (a permission that is no key scope, users:write say, refuses every key).
Expected<CallerToken, ApiError> authorize(http::Exchange& ex, const Services& svc, std::string_view permission) {
  if (has_api_key(ex.request())) {
    auto key = require_api_key(ex, svc, permission);
    if (!key) return Unexpected{key.error()};
    return api_key_caller(*key);
  }
  auto user = require_user(ex, svc);
  if (!user) return Unexpected{user.error()};
  if (auto denied = require_permission(ex, svc, **user, permission)) return Unexpected{std::move(*denied)};
  return CallerToken(std::move(*user));
}

// Every administrative request made with an API key is audited under the key.
void audit_key_use(http::Exchange& ex, const Services& svc, const std::string& actor) {
  std::string_view target = ex.request().target();
  svc.audit->record(request_info(ex), "api_key.used", "success", actor, std::nullopt,
                    {{"method", std::string(ex.request().method_string())},
                     {"path", std::string(target.substr(0, target.find('?')))}});
}

// The authenticate hook of a JSON route: its caller is checked before its body is parsed.
std::function<std::optional<ApiError>(http::Exchange&)> caller_required(const Services& svc, Access access) {
  if (access.kind == Access::Kind::kUser) return bearer_required(svc);
  return [svc, permission = access.permission](http::Exchange& ex) -> std::optional<ApiError> {
    auto caller = authorize(ex, svc, permission);
    if (!caller) return caller.error();
    return std::nullopt;
  };
}

}  // namespace

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
    if (needs_user && options.json_body && !options.authenticate) options.authenticate = caller_required(svc, row.access);
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
            auto authorized = authorize(ex, svc, access.permission);
            if (!authorized) {
              ex.fail(authorized.error());
              co_return;
            }
            caller = std::move(*authorized);
            if (caller->subject.starts_with("api_key:")) audit_key_use(ex, svc, caller->subject);
          }
          co_await handler(ex, svc, caller);
        },
        std::move(options));
  }
}

}  // namespace archon::api
