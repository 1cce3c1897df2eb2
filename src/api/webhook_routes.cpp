// Webhook endpoints: administrators (webhooks:manage; an API key with that scope too) register,
// list, read, change and remove endpoints, rotate their signing secrets (the secret appears only
// in the answers to creation and rotation), read each endpoint's delivery log and ask for a
// redelivery. Delivery itself runs in webhooks::DeliveryWorker.
#include <charconv>

#include "api/authn.hpp"
#include "api/resource_json.hpp"
#include "api/route_table.hpp"
#include "http/exchange.hpp"
#include "webhooks/event_types.hpp"
#include "webhooks/webhook_service.hpp"

namespace archon::api {
namespace {

using http::FieldType;
using Task = boost::asio::awaitable<void>;

boost::json::object endpoint_json(const store::WebhookEndpointRecord& e) {
  boost::json::array types;
  for (const auto& t : e.event_types) types.emplace_back(t);
  return {{"id", e.id},
          {"url", e.url},
          {"description", e.description},
          {"event_types", std::move(types)},
          {"enabled", e.enabled},
          {"disabled_reason", e.disabled_reason ? boost::json::value(*e.disabled_reason) : nullptr},
          {"previous_secret_expires_at", iso_time(e.previous_secret_expires_at)},
          {"last_success_at", iso_time(e.last_success_at)},
          {"created_at", iso_time(e.created_at)},
          {"updated_at", iso_time(e.updated_at)}};
}

boost::json::object delivery_json(const store::WebhookDeliveryRecord& d) {
  boost::json::array attempts;
  for (const auto& a : d.attempt_log)
    attempts.push_back({{"attempt", a.attempt},
                        {"at", iso_time(a.at)},
                        {"status_code", a.status_code == 0 ? boost::json::value(nullptr) : boost::json::value(a.status_code)},
                        {"latency_ms", a.latency_ms},
                        {"error", a.error.empty() ? boost::json::value(nullptr) : boost::json::value(a.error)}});
  return {{"id", d.id},
          {"event_id", d.event_id},
          {"event_type", d.event_type},
          {"status", d.status},
          {"attempts", d.attempts},
          {"next_attempt_at", d.status == "pending" ? iso_time(d.next_attempt_at) : nullptr},
          {"created_at", iso_time(d.created_at)},
          {"completed_at", iso_time(d.completed_at)},
          {"attempt_log", std::move(attempts)}};
}

// The body's fields as changes; the problems, by name, of those that are not acceptable.
webhooks::EndpointChanges endpoint_changes(const boost::json::object& body, boost::json::object& problems) {
  webhooks::EndpointChanges c;
  if (auto u = body.if_contains("url"); u && u->is_string()) c.url = std::string(u->get_string());
  if (auto d = body.if_contains("description"); d && d->is_string()) c.description = std::string(d->get_string());
  if (auto e = body.if_contains("enabled"); e && e->is_bool()) c.enabled = e->get_bool();
  if (auto t = body.if_contains("event_types"); t && t->is_array()) {
    c.event_types.emplace();
    for (const auto& v : t->get_array()) {
      if (!v.is_string() || (v.get_string() != "*" && !webhooks::is_event_type(v.get_string()))) {
        problems["event_types"] = "Each must be \"*\" or a documented event type (docs/webhooks.md)";
        break;
      }
      std::string type(v.get_string());
      if (std::find(c.event_types->begin(), c.event_types->end(), type) == c.event_types->end())
        c.event_types->push_back(std::move(type));
    }
    if (std::find(c.event_types->begin(), c.event_types->end(), "*") != c.event_types->end()) c.event_types = {{"*"}};
  }
  return c;
}

ApiError not_found() { return ApiError::make(ErrorCode::kResourceNotFound, "No such webhook endpoint"); }

Task create_endpoint(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  boost::json::object problems;
  auto changes = endpoint_changes(ex.body(), problems);
  if (!problems.empty()) {
    ex.fail(ApiError::make(ErrorCode::kValidationConstraintViolation, std::move(problems)));
    co_return;
  }
  auto created = svc.webhooks->create(caller->subject, changes, request_info(ex));
  if (!created) {
    ex.fail(created.error());
    co_return;
  }
  auto data = endpoint_json(created->record);
  data["secret"] = created->secret;
  ex.response().set(http::bhttp::field::cache_control, "no-store");
  ex.reply(std::move(data), http::Status::created);
}

Task list_endpoints(http::Exchange& ex, const Services& svc, const CallerToken&) {
  auto page = parse_page_query(ex.request().target());
  if (!page) {
    ex.fail(page.error());
    co_return;
  }
  auto [endpoints, total] = svc.webhooks->list(page->page, page->limit);
  boost::json::array items;
  for (const auto& e : endpoints) items.push_back(endpoint_json(e));
  ex.reply_page(std::move(items), pagination(*page, total));
}

Task get_endpoint(http::Exchange& ex, const Services& svc, const CallerToken&) {
  auto e = svc.webhooks->find(std::string(ex.param("id")));
  if (!e) ex.fail(not_found());
  else ex.reply(endpoint_json(*e));
  co_return;
}

Task update_endpoint(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  boost::json::object problems;
  auto changes = endpoint_changes(ex.body(), problems);
  if (!problems.empty()) {
    ex.fail(ApiError::make(ErrorCode::kValidationConstraintViolation, std::move(problems)));
    co_return;
  }
  auto updated = svc.webhooks->update(caller->subject, std::string(ex.param("id")), changes, request_info(ex));
  if (!updated) ex.fail(updated.error());
  else ex.reply(endpoint_json(*updated));
}

Task delete_endpoint(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  if (!svc.webhooks->remove(caller->subject, std::string(ex.param("id")), request_info(ex))) ex.fail(not_found());
  else ex.reply_no_content();
  co_return;
}

Task rotate_secret(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  auto rotated = svc.webhooks->rotate_secret(caller->subject, std::string(ex.param("id")), request_info(ex));
  if (!rotated) {
    ex.fail(rotated.error());
    co_return;
  }
  auto data = endpoint_json(rotated->record);
  data["secret"] = rotated->secret;
  ex.response().set(http::bhttp::field::cache_control, "no-store");
  ex.reply(std::move(data));
}

Task list_deliveries(http::Exchange& ex, const Services& svc, const CallerToken&) {
  std::string id(ex.param("id"));
  auto page = parse_page_query(ex.request().target());
  if (!page) {
    ex.fail(page.error());
    co_return;
  }
  if (!svc.webhooks->find(id)) {
    ex.fail(not_found());
    co_return;
  }
  auto [deliveries, total] = svc.webhooks->deliveries(id, page->page, page->limit);
  boost::json::array items;
  for (const auto& d : deliveries) items.push_back(delivery_json(d));
  ex.reply_page(std::move(items), pagination(*page, total));
}

Task redeliver(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  std::string_view raw = ex.param("delivery_id");
  std::int64_t delivery_id = 0;
  auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), delivery_id);
  std::optional<std::int64_t> copy;
  if (ec == std::errc() && end == raw.data() + raw.size() && delivery_id > 0)
    copy = svc.webhooks->redeliver(caller->subject, std::string(ex.param("id")), delivery_id, request_info(ex));
  if (!copy) ex.fail(ApiError::make(ErrorCode::kResourceNotFound, "No such delivery of this endpoint"));
  else ex.reply(boost::json::object{{"delivery_id", *copy}, {"status", "pending"}}, http::Status::accepted);
  co_return;
}

}  // namespace

void register_webhook_routes(http::Router& router, const Services& svc) {
  using http::Verb;
  const auto manage = access::permission("webhooks:manage");
  auto fields = [](bool creating) {
    return json_body({
        {"url", FieldType::kString, creating, {}, {}, 1, 2000},
        {"event_types", FieldType::kArray, creating, {}, {}, 1, 32},
        {"description", FieldType::kString, false, {}, {}, 0, 500},
        {"enabled", FieldType::kBoolean},
    });
  };
  add_routes(router, svc,
             {
                 {Verb::post, "/api/v2/admin/webhooks", tier::kAdmin, manage, create_endpoint, fields(true)},
                 {Verb::get, "/api/v2/admin/webhooks", tier::kAdmin, manage, list_endpoints},
                 {Verb::get, "/api/v2/admin/webhooks/{id}", tier::kAdmin, manage, get_endpoint},
                 {Verb::patch, "/api/v2/admin/webhooks/{id}", tier::kAdmin, manage, update_endpoint, fields(false)},
                 {Verb::delete_, "/api/v2/admin/webhooks/{id}", tier::kAdmin, manage, delete_endpoint},
                 {Verb::post, "/api/v2/admin/webhooks/{id}/rotate-secret", tier::kAdmin, manage, rotate_secret},
                 {Verb::get, "/api/v2/admin/webhooks/{id}/deliveries", tier::kAdmin, manage, list_deliveries},
                 {Verb::post, "/api/v2/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver", tier::kAdmin, manage,
                  redeliver},
             });
}

}  // namespace archon::api
