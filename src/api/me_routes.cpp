// The signed-in user's own resources under /api/v2/users/me.
#include "api/authn.hpp"
#include "core/json_writer.hpp"
#include "http/exchange.hpp"

namespace archon::api {
using http::FieldType;

void register_me_routes(http::Router& router, const Services& svc) {
  router.add(http::Verb::get, "/api/v2/users/me", [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
    auto user = require_user(ex, svc);
    if (!user) {
      ex.fail(user.error());
      co_return;
    }
    auto record = load_user(ex, svc, (*user)->subject);
    if (!record || !record->is_active) {
      ex.fail(ApiError::make(ErrorCode::kAuthTokenInvalid));
      co_return;
    }
    ex.reply(identity::user_json(*record));
  });

  http::RouteOptions update;
  update.json_body = true;
  update.authenticate = bearer_required(svc);
  update.schema = std::make_shared<http::BodySchema>(http::BodySchema{{
      {"name", FieldType::kString, false, {}, {}, 0, 400},
      {"preferences", FieldType::kObject, false, {}, {}, {}, {}, 16 * 1024},
  }});
  router.add(
      http::Verb::put, "/api/v2/users/me",
      [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
        auto user = require_user(ex, svc);
        if (!user) {
          ex.fail(user.error());
          co_return;
        }
        const auto& body = ex.body();
        std::optional<std::string> name, prefs;
        if (auto n = body.find("name"); n != body.end() && n->value().is_string()) name = std::string(n->value().get_string());
        if (auto p = body.find("preferences"); p != body.end() && p->value().is_object()) prefs = json::write(p->value());
        auto r = svc.accounts->update_profile((*user)->subject, name, prefs, request_info(ex));
        if (!r) ex.fail(r.error());
        else ex.reply(identity::user_json(*r));
      },
      update);

  http::RouteOptions password;
  password.json_body = true;
  password.authenticate = bearer_required(svc);
  password.schema = std::make_shared<http::BodySchema>(http::BodySchema{{
      {"current_password", FieldType::kString, true, {}, {}, 0, 4096},
      {"new_password", FieldType::kString, true, {}, {}, 0, 4096},
  }});
  router.add(
      http::Verb::put, "/api/v2/users/me/password",
      [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
        auto user = require_user(ex, svc);
        if (!user) {
          ex.fail(user.error());
          co_return;
        }
        tokens::VerifiedToken caller = **user;
        std::string current(ex.body().at("current_password").as_string());
        std::string next(ex.body().at("new_password").as_string());
        audit::RequestInfo info = request_info(ex);
        auto r = co_await svc.accounts->change_password(std::move(caller), std::move(current), std::move(next),
                                                        std::move(info));
        if (!r) ex.fail(r.error());
        else ex.reply(boost::json::object{{"revoked_sessions", *r}});
      },
      password);

  router.add(http::Verb::get, "/api/v2/users/me/sessions", [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
    auto user = require_user(ex, svc);
    if (!user) {
      ex.fail(user.error());
      co_return;
    }
    auto sessions = svc.sessions->list_sessions((*user)->subject, (*user)->session_id);
    std::uint64_t n = sessions.size();
    ex.reply_page(std::move(sessions), http::Pagination{1, std::max<std::uint64_t>(n, 1), n});
  });

  router.add(http::Verb::delete_, "/api/v2/users/me/sessions/{id}",
             [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
               auto user = require_user(ex, svc);
               if (!user) {
                 ex.fail(user.error());
                 co_return;
               }
               // Someone else's session id answers exactly like an unknown one.
               if (!svc.sessions->revoke_session((*user)->subject, std::string(ex.param("id")), (*user)->subject,
                                                 request_info(ex))) {
                 ex.fail(ApiError::make(ErrorCode::kResourceNotFound, "No such session"));
                 co_return;
               }
               ex.reply_no_content();
             });

  router.add(http::Verb::get, "/api/v2/users/me/security-events",
             [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
               auto user = require_user(ex, svc);
               if (!user) {
                 ex.fail(user.error());
                 co_return;
               }
               auto page = parse_page_query(ex.request().target(), nullptr);
               if (!page) {
                 ex.fail(page.error());
                 co_return;
               }
               store::AuditQuery q;
               q.user_id = (*user)->subject;
               q.page = page->page;
               q.limit = page->limit;
               svc.audit->flush();
               auto [events, total] = svc.identity_store->list_audit(q);
               boost::json::array items;
               for (const auto& e : events) items.push_back(audit::to_json(e));
               ex.reply_page(std::move(items), http::Pagination{static_cast<std::uint64_t>(q.page),
                                                                static_cast<std::uint64_t>(q.limit),
                                                                static_cast<std::uint64_t>(total)});
             });
}

}  // namespace archon::api
