// Administration: users (list, read, change, deactivate, unlock, reset link), their sessions,
// and the audit trail (filtered, and its chain verified).
// Every route checks the permission against the store, not the token's claims (add_routes).
#include "api/authn.hpp"
#include "api/resource_json.hpp"
#include "api/route_table.hpp"
#include "core/clock.hpp"
#include "http/exchange.hpp"
#include "identity/roles.hpp"

namespace archon::api {
namespace {

using http::FieldType;
using Task = boost::asio::awaitable<void>;

// The list's query parameters; the problems, by name, of those that are malformed.
store::UserQuery user_query(std::map<std::string, std::string>& rest, boost::json::object& problems) {
  store::UserQuery q;
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
  return q;
}

Task list_users(http::Exchange& ex, const Services& svc, const CallerToken&) {
  std::map<std::string, std::string> rest;
  auto page = parse_page_query(ex.request().target(), &rest, {"sort_by", "sort_order", "q", "role", "is_active"});
  if (!page) {
    ex.fail(page.error());
    co_return;
  }
  boost::json::object problems;
  store::UserQuery q = user_query(rest, problems);
  if (!problems.empty()) {
    ex.fail(ApiError::make(ErrorCode::kValidationInvalidFormat, std::move(problems)));
    co_return;
  }
  q.page = page->page;
  q.limit = page->limit;
  auto [users, total] = svc.user_admin->list(q);
  boost::json::array items;
  for (const auto& u : users) items.push_back(user_json(u));
  ex.reply_page(std::move(items), pagination(*page, total));
}

Task get_user(http::Exchange& ex, const Services& svc, const CallerToken&) {
  auto u = svc.user_admin->find(std::string(ex.param("id")));
  if (!u) ex.fail(ApiError::make(ErrorCode::kUserNotFound));
  else ex.reply(user_json(*u));
  co_return;
}

// The PATCH body as changes; the problems, by name, of fields that are not acceptable.
identity::UserChanges user_changes(const boost::json::object& body, boost::json::object& problems) {
  identity::UserChanges c;
  if (auto n = body.find("name"); n != body.end() && n->value().is_string()) {
    c.name = identity::AccountService::trim_name(std::string(n->value().get_string()));
    if (auto p = identity::AccountService::check_name(*c.name)) problems["name"] = *p;
  }
  if (auto r = body.find("roles"); r != body.end() && r->value().is_array()) {
    c.roles.emplace();
    for (const auto& v : r->value().get_array()) {
      if (!v.is_string() || !identity::is_role(v.get_string()))
        problems["roles"] = "Each role must be " + std::string(identity::kRoleList);
      else if (std::find(c.roles->begin(), c.roles->end(), v.get_string()) == c.roles->end())
        c.roles->emplace_back(v.get_string());
    }
  }
  if (auto a = body.find("is_active"); a != body.end() && a->value().is_bool()) c.is_active = a->value().get_bool();
  return c;
}

Task update_user(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  std::string id(ex.param("id"));
  if (!svc.user_admin->find(id)) {
    ex.fail(ApiError::make(ErrorCode::kUserNotFound));
    co_return;
  }
  boost::json::object problems;
  auto changes = user_changes(ex.body(), problems);
  if (!problems.empty()) {
    ex.fail(ApiError::make(ErrorCode::kValidationConstraintViolation, std::move(problems)));
    co_return;
  }
  auto user = svc.user_admin->update(caller->subject, id, changes, request_info(ex));
  if (!user) ex.fail(user.error());
  else ex.reply(user_json(*user));
}

Task deactivate_user(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  auto revoked = svc.user_admin->deactivate(caller->subject, std::string(ex.param("id")), request_info(ex));
  if (!revoked) ex.fail(revoked.error());
  else ex.reply_no_content();
  co_return;
}

Task list_user_sessions(http::Exchange& ex, const Services& svc, const CallerToken&) {
  std::string id(ex.param("id"));
  if (!svc.user_admin->find(id)) {
    ex.fail(ApiError::make(ErrorCode::kUserNotFound));
    co_return;
  }
  auto sessions = sessions_json(svc.sessions->list_sessions(id), "");
  std::uint64_t n = sessions.size();
  ex.reply_page(std::move(sessions), http::Pagination{1, std::max<std::uint64_t>(n, 1), n});
}

Task revoke_user_session(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  if (!svc.sessions->revoke_session(std::string(ex.param("id")), std::string(ex.param("session_id")), caller->subject,
                                    request_info(ex)))
    ex.fail(ApiError::make(ErrorCode::kResourceNotFound, "No such session"));
  else ex.reply_no_content();
  co_return;
}

Task list_audit(http::Exchange& ex, const Services& svc, const CallerToken&) {
  std::map<std::string, std::string> rest;
  auto page = parse_page_query(ex.request().target(), &rest, {"user_id", "event", "actor", "outcome", "since", "until"});
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
  if (rest.count("actor")) q.actor = rest["actor"];
  if (rest.count("outcome")) q.outcome = rest["outcome"];
  boost::json::object problems;
  for (const char* key : {"since", "until"}) {
    if (!rest.count(key)) continue;
    auto t = clock::parse_iso8601_utc(rest[key]);
    if (!t) problems[key] = "Must be a UTC time such as 2026-12-07T10:00:00Z";
    else (std::string_view(key) == "since" ? q.since : q.until) = *t;
  }
  if (!problems.empty()) {
    ex.fail(ApiError::make(ErrorCode::kValidationInvalidFormat, std::move(problems)));
    co_return;
  }
  reply_audit_page(ex, svc, q);
}

// The hash chain checked end to end, as `archon-auth audit verify` does.
Task verify_audit(http::Exchange& ex, const Services& svc, const CallerToken&) {
  std::map<std::string, std::string> none;
  if (auto query = parse_page_query(ex.request().target(), &none, {}); !query) {
    ex.fail(query.error());
    co_return;
  }
  svc.audit->flush();
  auto v = svc.audit->verify();
  ex.reply(boost::json::object{{"intact", v.intact},
                               {"events", v.events},
                               {"first_broken_seq", v.intact ? boost::json::value(nullptr) : boost::json::value(v.first_broken_seq)}});
  co_return;
}

Task revoke_all_sessions(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  std::string id(ex.param("id"));
  if (!svc.user_admin->find(id)) {
    ex.fail(ApiError::make(ErrorCode::kUserNotFound));
    co_return;
  }
  ex.reply(boost::json::object{{"revoked_sessions", svc.sessions->revoke_all(id, caller->subject, request_info(ex))}});
}

// The user gets the same single-use reset link they could ask for themselves.
Task send_password_reset(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  auto user = svc.user_admin->find(std::string(ex.param("id")));
  if (!user) {
    ex.fail(ApiError::make(ErrorCode::kUserNotFound));
    co_return;
  }
  if (!user->is_active) {
    ex.fail(ApiError::make(ErrorCode::kValidationConstraintViolation, {{"id", "The account is deactivated"}}));
    co_return;
  }
  auto info = request_info(ex);
  svc.accounts->request_password_reset(user->email, info);
  svc.audit->record(info, "admin_password_reset_sent", "success", caller->subject, user->id);
  ex.reply(boost::json::object{{"sent", true}}, http::Status::accepted);
}

boost::json::object lock_json(const store::LoginLockState& s, std::int64_t now) {
  bool locked = s.locked_until && *s.locked_until > now;
  return {{"locked", locked},
          {"locked_until", locked ? iso_time(s.locked_until) : nullptr},
          {"locked_addresses", s.locked_addresses},
          {"account_failures", s.account_failures}};
}

Task get_lockout(http::Exchange& ex, const Services& svc, const CallerToken&) {
  auto state = svc.user_admin->lock_state(std::string(ex.param("id")));
  if (!state) ex.fail(ApiError::make(ErrorCode::kUserNotFound));
  else ex.reply(lock_json(*state, svc.identity_context->now()));
  co_return;
}

Task unlock_user(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  std::string id(ex.param("id"));
  if (!svc.user_admin->unlock(caller->subject, id, request_info(ex))) {
    ex.fail(ApiError::make(ErrorCode::kUserNotFound));
    co_return;
  }
  ex.reply(lock_json(*svc.user_admin->lock_state(id), svc.identity_context->now()));
}

}  // namespace

void register_admin_routes(http::Router& router, const Services& svc) {
  using http::Verb;
  const auto read_users = access::permission("users:read");
  const auto write_users = access::permission("users:write");
  auto patch_body = json_body({
      {"name", FieldType::kString, false, {}, {}, 0, 400},
      {"roles", FieldType::kArray, false, {}, {}, 1, 16},  // every user keeps at least one role
      {"is_active", FieldType::kBoolean},
  });
  add_routes(router, svc,
             {
                 {Verb::get, "/api/v2/users", tier::kAdmin, read_users, list_users},
                 {Verb::get, "/api/v2/users/{id}", tier::kAdmin, read_users, get_user},
                 {Verb::patch, "/api/v2/users/{id}", tier::kAdmin, write_users, update_user, patch_body},
                 {Verb::delete_, "/api/v2/users/{id}", tier::kAdmin, write_users, deactivate_user},
                 {Verb::get, "/api/v2/users/{id}/sessions", tier::kAdmin, read_users, list_user_sessions},
                 {Verb::delete_, "/api/v2/users/{id}/sessions/{session_id}", tier::kAdmin, write_users,
                  revoke_user_session},
                 {Verb::delete_, "/api/v2/users/{id}/sessions", tier::kAdmin, write_users, revoke_all_sessions},
                 {Verb::post, "/api/v2/users/{id}/password-reset", tier::kAdmin, write_users, send_password_reset},
                 {Verb::get, "/api/v2/users/{id}/lockout", tier::kAdmin, read_users, get_lockout},
                 {Verb::delete_, "/api/v2/users/{id}/lockout", tier::kAdmin, write_users, unlock_user},
                 {Verb::get, "/api/v2/audit", tier::kAdmin, access::permission("audit:read"), list_audit},
                 {Verb::get, "/api/v2/audit/verify", tier::kAdmin, access::permission("audit:read"), verify_audit},
             });
}

}  // namespace archon::api
