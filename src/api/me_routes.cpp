// The signed-in user's own resources under /api/v2/users/me.
#include "api/authn.hpp"
#include "api/resource_json.hpp"
#include "api/route_table.hpp"
#include "core/json_writer.hpp"
#include "http/exchange.hpp"

namespace archon::api {
namespace {

using http::FieldType;
using Task = boost::asio::awaitable<void>;

Task get_me(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  auto record = load_user(ex, svc, caller->subject);
  if (!record || !record->is_active) ex.fail(ApiError::make(ErrorCode::kAuthTokenInvalid));
  else ex.reply(user_json(*record));
  co_return;
}

Task update_me(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  const auto& body = ex.body();
  std::optional<std::string> name, prefs;
  if (auto n = body.find("name"); n != body.end() && n->value().is_string()) name = std::string(n->value().get_string());
  if (auto p = body.find("preferences"); p != body.end() && p->value().is_object()) prefs = json::write(p->value());
  auto r = svc.accounts->update_profile(caller->subject, name, prefs, request_info(ex));
  if (!r) ex.fail(r.error());
  else ex.reply(user_json(*r));
  co_return;
}

Task change_password(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  std::string current(ex.body().at("current_password").as_string());
  std::string next(ex.body().at("new_password").as_string());
  // Arguments are named locals, never temporaries in the co_await (GCC 12 frees those twice).
  tokens::VerifiedToken who = *caller;
  audit::RequestInfo info = request_info(ex);
  auto r = co_await svc.accounts->change_password(std::move(who), std::move(current), std::move(next), std::move(info));
  if (!r) ex.fail(r.error());
  else ex.reply(boost::json::object{{"revoked_sessions", *r}});
}

Task list_my_sessions(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  auto sessions = sessions_json(svc.sessions->list_sessions(caller->subject), caller->session_id);
  std::uint64_t n = sessions.size();
  ex.reply_page(std::move(sessions), http::Pagination{1, std::max<std::uint64_t>(n, 1), n});
  co_return;
}

Task revoke_my_session(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  // Someone else's session id answers exactly like an unknown one.
  if (!svc.sessions->revoke_session(caller->subject, std::string(ex.param("id")), caller->subject, request_info(ex)))
    ex.fail(ApiError::make(ErrorCode::kResourceNotFound, "No such session"));
  else ex.reply_no_content();
  co_return;
}

Task my_security_events(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  auto page = parse_page_query(ex.request().target(), nullptr);
  if (!page) {
    ex.fail(page.error());
    co_return;
  }
  store::AuditQuery q;
  q.user_id = caller->subject;
  q.page = page->page;
  q.limit = page->limit;
  reply_audit_page(ex, svc, q);
}

}  // namespace

void register_me_routes(http::Router& router, const Services& svc) {
  using http::Verb;
  auto profile = json_body({
      {"name", FieldType::kString, false, {}, {}, 0, 400},
      {"preferences", FieldType::kObject, false, {}, {}, {}, {}, 16 * 1024},
  });
  auto password = json_body({
      {"current_password", FieldType::kString, true, {}, {}, 0, 4096},
      {"new_password", FieldType::kString, true, {}, {}, 0, 4096},
  });
  add_routes(router, svc,
             {
                 {Verb::get, "/api/v2/users/me", tier::kUser, access::kUser, get_me},
                 {Verb::put, "/api/v2/users/me", tier::kUser, access::kUser, update_me, profile},
                 {Verb::put, "/api/v2/users/me/password", tier::kUser, access::kUser, change_password, password},
                 {Verb::get, "/api/v2/users/me/sessions", tier::kUser, access::kUser, list_my_sessions},
                 {Verb::delete_, "/api/v2/users/me/sessions/{id}", tier::kUser, access::kUser, revoke_my_session},
                 {Verb::get, "/api/v2/users/me/security-events", tier::kUser, access::kUser, my_security_events},
             });
}

}  // namespace archon::api
