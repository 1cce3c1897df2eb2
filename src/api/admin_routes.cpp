// Administration: users (list, read, change, deactivate), their sessions, and the audit trail.
// Every route checks the permission against the store, not the token's claims.
#include <boost/json/value_from.hpp>

#include "api/authn.hpp"
#include "http/exchange.hpp"
#include "identity/roles.hpp"
#include "store/store_errors.hpp"

namespace archon::api {
namespace {

using http::FieldType;

http::Pagination pagination(const PageQuery& p, std::int64_t total) {
  return {static_cast<std::uint64_t>(p.page), static_cast<std::uint64_t>(p.limit), static_cast<std::uint64_t>(total)};
}

// The OpenAPI document's UserId: "user_" and at least one of [A-Za-z0-9_-].
bool is_user_id(std::string_view id) {
  if (id.size() <= 5 || id.size() > 128 || !id.starts_with("user_")) return false;
  return std::all_of(id.begin() + 5, id.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

// The store's admin update; nullopt (answered 409 USER_LAST_ADMIN, nothing written) when it
// would leave no active administrator. Otherwise the ids of the sessions it revoked.
std::optional<std::vector<std::string>> update_user(http::Exchange& ex, const Services& svc, const std::string& id,
                                                    const std::optional<std::string>& name,
                                                    const std::optional<std::vector<std::string>>& roles,
                                                    const std::optional<bool>& active) {
  try {
    return svc.identity_store->update_user_admin(id, name, roles, active, tokens::system_epoch_seconds());
  } catch (const store::LastAdminRemoval&) {
    ex.fail(ApiError::make(ErrorCode::kUserLastAdmin,
                           {{"user_id", "Is the last active administrator: give another account the admin role first"}}));
    return std::nullopt;
  }
}

}  // namespace

void register_admin_routes(http::Router& router, const Services& svc) {
  router.add(http::Verb::get, "/api/v2/users", [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
    if (!require_user_with_permission(ex, svc, "users:read")) co_return;
    std::map<std::string, std::string> rest;
    auto page = parse_page_query(ex.request().target(), &rest, {"sort_by", "sort_order", "q", "role", "is_active"});
    if (!page) {
      ex.fail(page.error());
      co_return;
    }
    store::UserQuery q;
    q.page = page->page;
    q.limit = page->limit;
    boost::json::object problems;
    if (rest.count("sort_by")) {
      static const std::vector<std::string> kSortable{"created_at", "email", "name", "last_login"};
      if (std::find(kSortable.begin(), kSortable.end(), rest["sort_by"]) == kSortable.end())
        problems["sort_by"] = "Must be created_at, email, name or last_login";
      else q.sort_by = rest["sort_by"];
    }
    if (rest.count("sort_order")) {
      if (rest["sort_order"] != "asc" && rest["sort_order"] != "desc") problems["sort_order"] = "Must be asc or desc";
      else q.descending = rest["sort_order"] == "desc";
    }
    if (rest.count("is_active")) {
      if (rest["is_active"] != "true" && rest["is_active"] != "false") problems["is_active"] = "Must be true or false";
      else q.is_active = rest["is_active"] == "true";
    }
    if (rest.count("q")) {
      if (rest["q"].size() > 200) problems["q"] = "Must be at most 200 characters";
      else q.q = rest["q"];
    }
    if (rest.count("role")) q.role = rest["role"];
    if (!problems.empty()) {
      ex.fail(ApiError::make(ErrorCode::kValidationInvalidFormat, std::move(problems)));
      co_return;
    }
    auto [users, total] = svc.identity_store->list_users(q);
    boost::json::array items;
    for (const auto& u : users) items.push_back(identity::user_json(u));
    ex.reply_page(std::move(items), pagination(*page, total));
  });

  router.add(http::Verb::get, "/api/v2/users/{id}", [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
    if (!require_user_with_permission(ex, svc, "users:read")) co_return;
    auto u = svc.identity_store->find_user_by_id(std::string(ex.param("id")));
    if (!u) ex.fail(ApiError::make(ErrorCode::kUserNotFound));
    else ex.reply(identity::user_json(*u));
    co_return;
  });

  http::RouteOptions patch;
  patch.json_body = true;
  patch.authenticate = bearer_required(svc);
  patch.schema = std::make_shared<http::BodySchema>(http::BodySchema{{
      {"name", FieldType::kString, false, {}, {}, 0, 400},
      {"roles", FieldType::kArray, false, {}, {}, 1, 16},  // every user keeps at least one role
      {"is_active", FieldType::kBoolean},
  }});
  router.add(
      http::Verb::patch, "/api/v2/users/{id}",
      [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
        auto caller = require_user_with_permission(ex, svc, "users:write");
        if (!caller) co_return;
        std::string id(ex.param("id"));
        if (!svc.identity_store->find_user_by_id(id)) {
          ex.fail(ApiError::make(ErrorCode::kUserNotFound));
          co_return;
        }
        const auto& body = ex.body();
        std::optional<std::string> name;
        std::optional<std::vector<std::string>> roles;
        std::optional<bool> active;
        boost::json::object problems;
        if (auto n = body.find("name"); n != body.end() && n->value().is_string()) {
          name = identity::AccountService::trim_name(std::string(n->value().get_string()));
          if (auto p = identity::AccountService::check_name(*name)) problems["name"] = *p;
        }
        if (auto r = body.find("roles"); r != body.end() && r->value().is_array()) {
          roles.emplace();
          for (const auto& v : r->value().get_array()) {
            if (!v.is_string() || !identity::is_role(v.get_string()))
              problems["roles"] = "Each role must be " + std::string(identity::kRoleList);
            else if (std::find(roles->begin(), roles->end(), v.get_string()) == roles->end())
              roles->emplace_back(v.get_string());
          }
        }
        if (auto a = body.find("is_active"); a != body.end() && a->value().is_bool()) active = a->value().get_bool();
        if (!problems.empty()) {
          ex.fail(ApiError::make(ErrorCode::kValidationConstraintViolation, std::move(problems)));
          co_return;
        }
        auto revoked = update_user(ex, svc, id, name, roles, active);
        if (!revoked) co_return;
        identity::deny_sessions(*svc.identity_context, *revoked);
        boost::json::object changed;
        if (name) changed["name"] = true;
        if (roles) changed["roles"] = boost::json::value_from(*roles);
        if (active) changed["is_active"] = *active;
        svc.audit->record(request_info(ex), "admin_user_update", "success", caller->subject, id, std::move(changed));
        ex.reply(identity::user_json(*svc.identity_store->find_user_by_id(id)));
      },
      patch);

  router.add(http::Verb::delete_, "/api/v2/users/{id}", [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
    auto caller = require_user_with_permission(ex, svc, "users:write");
    if (!caller) co_return;
    std::string id(ex.param("id"));
    if (!svc.identity_store->find_user_by_id(id)) {
      ex.fail(ApiError::make(ErrorCode::kUserNotFound));
      co_return;
    }
    auto revoked = update_user(ex, svc, id, std::nullopt, std::nullopt, false);
    if (!revoked) co_return;
    identity::deny_sessions(*svc.identity_context, *revoked);
    svc.audit->record(request_info(ex), "admin_user_deactivate", "success", caller->subject, id,
                      {{"revoked_sessions", revoked->size()}});
    ex.reply_no_content();
  });

  router.add(http::Verb::get, "/api/v2/users/{id}/sessions", [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
    if (!require_user_with_permission(ex, svc, "users:read")) co_return;
    if (!svc.identity_store->find_user_by_id(std::string(ex.param("id")))) {
      ex.fail(ApiError::make(ErrorCode::kUserNotFound));
      co_return;
    }
    auto sessions = svc.sessions->list_sessions(std::string(ex.param("id")), "");
    std::uint64_t n = sessions.size();
    ex.reply_page(std::move(sessions), http::Pagination{1, std::max<std::uint64_t>(n, 1), n});
    co_return;
  });

  router.add(http::Verb::delete_, "/api/v2/users/{id}/sessions/{session_id}",
             [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
               auto caller = require_user_with_permission(ex, svc, "users:write");
               if (!caller) co_return;
               if (!svc.sessions->revoke_session(std::string(ex.param("id")), std::string(ex.param("session_id")),
                                                 caller->subject, request_info(ex))) {
                 ex.fail(ApiError::make(ErrorCode::kResourceNotFound, "No such session"));
                 co_return;
               }
               ex.reply_no_content();
             });

  router.add(http::Verb::get, "/api/v2/audit", [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
    if (!require_user_with_permission(ex, svc, "audit:read")) co_return;
    std::map<std::string, std::string> rest;
    auto page = parse_page_query(ex.request().target(), &rest, {"user_id", "event"});
    if (!page) {
      ex.fail(page.error());
      co_return;
    }
    store::AuditQuery q;
    q.page = page->page;
    q.limit = page->limit;
    if (rest.count("user_id")) {
      if (!is_user_id(rest["user_id"])) {
        ex.fail(ApiError::make(ErrorCode::kValidationInvalidFormat, {{"user_id", "Must be an account id (user_...)"}}));
        co_return;
      }
      q.user_id = rest["user_id"];
    }
    if (rest.count("event")) q.event = rest["event"];
    svc.audit->flush();  // events recorded by earlier requests are readable now
    auto [events, total] = svc.identity_store->list_audit(q);
    boost::json::array items;
    for (const auto& e : events) items.push_back(audit::to_json(e));
    ex.reply_page(std::move(items), pagination(*page, total));
  });
}

}  // namespace archon::api
