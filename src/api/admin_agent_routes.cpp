// Administration of agents across users: the live agent tokens of everyone (grouped by lineage,
// filtered by user or agent type) and the kill switch that revokes every live token of a user or
// of an agent type, each with its descendants, at once on every instance.
#include "api/authn.hpp"
#include "api/resource_json.hpp"
#include "api/route_table.hpp"
#include "http/exchange.hpp"

namespace archon::api {
namespace {

using http::FieldType;
using Task = boost::asio::awaitable<void>;

std::optional<std::string> text_field(const boost::json::object& o, const char* key) {
  auto v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

Task list_all_tokens(http::Exchange& ex, const Services& svc, const CallerToken&) {
  std::map<std::string, std::string> rest;
  auto page = parse_page_query(ex.request().target(), &rest, {"user_id", "agent_type"});
  if (!page) {
    ex.fail(page.error());
    co_return;
  }
  std::optional<std::string> user_id, agent_type;
  if (rest.count("user_id")) {
    if (!is_user_id(rest["user_id"])) {
      ex.fail(ApiError::make(ErrorCode::kValidationInvalidFormat, {{"user_id", "Must be an account id (user_...)"}}));
      co_return;
    }
    user_id = rest["user_id"];
  }
  if (rest.count("agent_type")) agent_type = rest["agent_type"];
  auto all = svc.agents->list_all_tokens(user_id, agent_type);
  // Paged in memory: the list is bounded (AgentService::kAdminListLimit) and grouped by lineage.
  auto total = static_cast<std::int64_t>(all.size());
  boost::json::array items;
  for (std::int64_t i = (page->page - 1) * page->limit; i < std::min(total, page->page * page->limit); ++i)
    items.push_back(agent_token_json(all[static_cast<std::size_t>(i)]));
  ex.reply_page(std::move(items), pagination(*page, total));
}

Task kill_switch(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  auto user_id = text_field(ex.body(), "user_id");
  auto agent_type = text_field(ex.body(), "agent_type");
  if (!user_id && !agent_type) {
    ex.fail(ApiError::make(ErrorCode::kValidationRequiredField,
                           {{"user_id", "Name a user_id, an agent_type or both"}, {"agent_type", "Name a user_id, an agent_type or both"}}));
    co_return;
  }
  if (user_id && !is_user_id(*user_id)) {
    ex.fail(ApiError::make(ErrorCode::kValidationInvalidFormat, {{"user_id", "Must be an account id (user_...)"}}));
    co_return;
  }
  auto revoked = svc.agents->revoke_all(caller->subject, user_id, agent_type, request_info(ex));
  ex.reply(boost::json::object{{"revoked", revoked}});
}

Task revoke_subtree(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  auto revoked = svc.agents->revoke_for_admin(caller->subject, std::string(ex.param("id")), request_info(ex));
  if (!revoked) ex.fail(ApiError::make(ErrorCode::kResourceNotFound, "No such agent token"));
  else ex.reply(boost::json::object{{"revoked", *revoked}});
  co_return;
}

}  // namespace

void register_admin_agent_routes(http::Router& router, const Services& svc) {
  using http::Verb;
  auto filter = json_body({
      {"user_id", FieldType::kString, false, {}, {}, 1, 128},
      {"agent_type", FieldType::kString, false, {}, {}, 1, 64},
  });
  add_routes(router, svc,
             {
                 {Verb::get, "/api/v2/admin/agents/tokens", tier::kAdmin, access::permission("users:read"), list_all_tokens},
                 {Verb::delete_, "/api/v2/admin/agents/tokens/{id}", tier::kAdmin, access::permission("users:write"),
                  revoke_subtree},
                 {Verb::post, "/api/v2/admin/agents/revoke", tier::kAdmin, access::permission("users:write"), kill_switch,
                  filter},
             });
}

}  // namespace archon::api
