#include "webhooks/webhook_service.hpp"

#include "core/log.hpp"
#include "crypto/random.hpp"
#include "webhooks/signature.hpp"
#include "tokens/keyring.hpp"

namespace archon::webhooks {
namespace {

std::string new_endpoint_id() {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  return "wh_" + crypto::time_ordered_hex_id(millis.count());
}

std::string associated_data(const std::string& endpoint_id) { return "webhook-secret:" + endpoint_id; }

boost::json::array types_json(const std::vector<std::string>& types) {
  boost::json::array a;
  for (const auto& t : types) a.emplace_back(t);
  return a;
}

}  // namespace

WebhookService::WebhookService(store::WebhookRepository& repo, const crypto::KeyEncryptionKey& kek,
                               const net::OutboundHttp& http, audit::AuditLog& audit, std::chrono::seconds rotation_grace)
    : repo_(repo), kek_(kek), http_(http), audit_(audit), rotation_grace_(rotation_grace) {}

std::optional<ApiError> WebhookService::check_url(const std::string& url) const {
  auto problem = http_.check_url(url);
  if (!problem) return std::nullopt;
  return ApiError::make(ErrorCode::kValidationConstraintViolation, {{"url", "The URL " + *problem}});
}

std::string WebhookService::seal(const std::string& endpoint_id, const std::string& secret) const {
  return kek_.seal(secret, associated_data(endpoint_id));
}

Expected<EndpointWithSecret, ApiError> WebhookService::create(const std::string& actor, const EndpointChanges& c,
                                                              const audit::RequestInfo& info) {
  if (auto refused = check_url(*c.url)) return Unexpected{std::move(*refused)};
  EndpointWithSecret out;
  auto& r = out.record;
  r.id = new_endpoint_id();
  r.url = *c.url;
  r.event_types = *c.event_types;
  r.description = c.description.value_or("");
  r.enabled = c.enabled.value_or(true);
  r.created_at = r.updated_at = tokens::system_epoch_seconds();
  out.secret = new_signing_secret();
  r.secret_sealed = seal(r.id, out.secret);
  repo_.insert_endpoint(r);
  audit_.record(info, "webhook.created", "success", actor, std::nullopt,
                {{"webhook_id", r.id}, {"url", r.url}, {"event_types", types_json(r.event_types)}});
  return out;
}

std::pair<std::vector<store::WebhookEndpointRecord>, std::int64_t> WebhookService::list(std::int64_t page,
                                                                                         std::int64_t limit) {
  return repo_.list_endpoints((page - 1) * limit, limit);
}

std::optional<store::WebhookEndpointRecord> WebhookService::find(const std::string& id) { return repo_.find_endpoint(id); }

Expected<store::WebhookEndpointRecord, ApiError> WebhookService::update(const std::string& actor, const std::string& id,
                                                                        const EndpointChanges& c,
                                                                        const audit::RequestInfo& info) {
  auto r = repo_.find_endpoint(id);
  if (!r) return Unexpected{ApiError::make(ErrorCode::kResourceNotFound, "No such webhook endpoint")};
  if (c.url) {
    if (auto refused = check_url(*c.url)) return Unexpected{std::move(*refused)};
    r->url = *c.url;
  }
  if (c.event_types) r->event_types = *c.event_types;
  if (c.description) r->description = *c.description;
  if (c.enabled) {
    if (*c.enabled) r->disabled_reason.reset();
    else if (r->enabled) r->disabled_reason = "Disabled by an administrator";
    r->enabled = *c.enabled;
  }
  r->updated_at = tokens::system_epoch_seconds();
  if (!repo_.update_endpoint(*r)) return Unexpected{ApiError::make(ErrorCode::kResourceNotFound, "No such webhook endpoint")};
  boost::json::object changed{{"webhook_id", id}};
  if (c.url) changed["url"] = r->url;
  if (c.event_types) changed["event_types"] = types_json(r->event_types);
  if (c.enabled) changed["enabled"] = r->enabled;
  audit_.record(info, "webhook.updated", "success", actor, std::nullopt, std::move(changed));
  return *r;
}

bool WebhookService::remove(const std::string& actor, const std::string& id, const audit::RequestInfo& info) {
  if (!repo_.delete_endpoint(id)) return false;
  audit_.record(info, "webhook.deleted", "success", actor, std::nullopt, {{"webhook_id", id}});
  return true;
}

Expected<EndpointWithSecret, ApiError> WebhookService::rotate_secret(const std::string& actor, const std::string& id,
                                                                     const audit::RequestInfo& info) {
  auto r = repo_.find_endpoint(id);
  if (!r) return Unexpected{ApiError::make(ErrorCode::kResourceNotFound, "No such webhook endpoint")};
  EndpointWithSecret out;
  out.secret = new_signing_secret();
  auto now = tokens::system_epoch_seconds();
  r->previous_secret_sealed = r->secret_sealed;
  r->previous_secret_expires_at = now + rotation_grace_.count();
  r->secret_sealed = seal(id, out.secret);
  r->updated_at = now;
  if (!repo_.update_endpoint(*r)) return Unexpected{ApiError::make(ErrorCode::kResourceNotFound, "No such webhook endpoint")};
  out.record = *r;
  audit_.record(info, "webhook.secret_rotated", "success", actor, std::nullopt,
                {{"webhook_id", id}, {"previous_secret_expires_at", *r->previous_secret_expires_at}});
  return out;
}

std::pair<std::vector<store::WebhookDeliveryRecord>, std::int64_t> WebhookService::deliveries(const std::string& id,
                                                                                             std::int64_t page,
                                                                                             std::int64_t limit) {
  return repo_.list_deliveries(id, (page - 1) * limit, limit);
}

std::optional<std::int64_t> WebhookService::redeliver(const std::string& actor, const std::string& id,
                                                      std::int64_t delivery_id, const audit::RequestInfo& info) {
  auto copy = repo_.redeliver(id, delivery_id, tokens::system_epoch_seconds());
  if (copy)
    audit_.record(info, "webhook.redelivery_requested", "success", actor, std::nullopt,
                  {{"webhook_id", id}, {"delivery_id", delivery_id}, {"new_delivery_id", *copy}});
  return copy;
}

std::vector<std::string> WebhookService::signing_secrets(const store::WebhookEndpointRecord& e, std::int64_t now) const {
  std::vector<std::string> out;
  auto open = [&](const std::string& sealed) {
    auto secret = kek_.open(sealed, associated_data(e.id));
    if (secret) out.push_back(std::move(*secret));
    else log::error("webhook secret cannot be unsealed", {{"webhook_id", e.id}});
  };
  open(e.secret_sealed);
  if (e.previous_secret_sealed && e.previous_secret_expires_at && *e.previous_secret_expires_at > now)
    open(*e.previous_secret_sealed);
  return out;
}

}  // namespace archon::webhooks
