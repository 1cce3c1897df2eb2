// API keys: administrators create (the key is shown once, in the 201), list, read and revoke
// them. Managing keys needs a user with api_keys:manage; no key can manage keys (it is no key
// scope), so a leaked key cannot mint itself successors.
#include "api/authn.hpp"
#include "api/resource_json.hpp"
#include "api/route_table.hpp"
#include "apikeys/api_key_service.hpp"
#include "http/exchange.hpp"
#include "identity/account_service.hpp"

namespace archon::api {
namespace {

using http::FieldType;
using Task = boost::asio::awaitable<void>;

constexpr std::int64_t kMinLifetime = 60;
constexpr std::int64_t kMaxLifetime = 5LL * 365 * 86400;

// The body as a new key; the problems, by name, of fields that are not acceptable.
apikeys::NewApiKey new_key(const boost::json::object& body, boost::json::object& problems) {
  apikeys::NewApiKey k;
  k.name = identity::AccountService::trim_name(std::string(body.at("name").get_string()));
  if (auto problem = identity::AccountService::check_name(k.name)) problems["name"] = *problem;
  for (const auto& v : body.at("scopes").get_array()) {
    if (!v.is_string() || !apikeys::is_scope(v.get_string())) {
      problems["scopes"] = "Each scope must be one of agents:verify, tokens:introspect, tokens:revoke, users:read, "
                           "audit:read, webhooks:manage";
      break;
    }
    std::string scope(v.get_string());
    if (std::find(k.scopes.begin(), k.scopes.end(), scope) != k.scopes.end()) problems["scopes"] = "Must not repeat a scope";
    else k.scopes.push_back(std::move(scope));
  }
  if (auto e = body.if_contains("expires_in"); e && !e->is_null()) k.lifetime_seconds = e->to_number<std::int64_t>();
  return k;
}

Task create_key(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  boost::json::object problems;
  auto request = new_key(ex.body(), problems);
  if (!problems.empty()) {
    ex.fail(ApiError::make(ErrorCode::kValidationConstraintViolation, std::move(problems)));
    co_return;
  }
  auto created = svc.api_keys->create(caller->subject, std::move(request), request_info(ex));
  auto data = api_key_json(created.record);
  data["key"] = std::move(created.key);
  ex.response().set(http::bhttp::field::cache_control, "no-store");
  ex.reply(std::move(data), http::Status::created);
}

Task list_keys(http::Exchange& ex, const Services& svc, const CallerToken&) {
  auto page = parse_page_query(ex.request().target());
  if (!page) {
    ex.fail(page.error());
    co_return;
  }
  auto [keys, total] = svc.api_keys->list(page->page, page->limit);
  boost::json::array items;
  for (const auto& k : keys) items.push_back(api_key_json(k));
  ex.reply_page(std::move(items), pagination(*page, total));
}

Task get_key(http::Exchange& ex, const Services& svc, const CallerToken&) {
  auto key = svc.api_keys->find(std::string(ex.param("id")));
  if (!key) ex.fail(ApiError::make(ErrorCode::kResourceNotFound, "No such API key"));
  else ex.reply(api_key_json(*key));
  co_return;
}

Task revoke_key(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  auto key = svc.api_keys->revoke(caller->subject, std::string(ex.param("id")), request_info(ex));
  if (!key) ex.fail(ApiError::make(ErrorCode::kResourceNotFound, "No such API key"));
  else ex.reply(api_key_json(*key));
  co_return;
}

}  // namespace

void register_api_key_routes(http::Router& router, const Services& svc) {
  using http::Verb;
  const auto manage = access::permission("api_keys:manage");
  auto creation = json_body({
      {"name", FieldType::kString, true, {}, {}, 1, 100},
      {"scopes", FieldType::kArray, true, {}, {}, 1, 6},
      {"expires_in", FieldType::kInteger, false, kMinLifetime, kMaxLifetime},
  });
  add_routes(router, svc,
             {
                 {Verb::post, "/api/v2/admin/api-keys", tier::kAdmin, manage, create_key, creation},
                 {Verb::get, "/api/v2/admin/api-keys", tier::kAdmin, manage, list_keys},
                 {Verb::get, "/api/v2/admin/api-keys/{id}", tier::kAdmin, manage, get_key},
                 {Verb::delete_, "/api/v2/admin/api-keys/{id}", tier::kAdmin, manage, revoke_key},
             });
}

}  // namespace archon::api
