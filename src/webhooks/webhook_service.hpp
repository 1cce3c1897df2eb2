// Webhook endpoints as administrators manage them: register (the signing secret is shown once),
// change, remove, rotate the secret (the old one keeps signing beside the new for a grace
// period), read the delivery log and ask for a redelivery. A URL is accepted only when every
// address its host resolves to is public (or allow-listed): the SSRF rules of net::OutboundHttp.
// Secrets are sealed with the KEK at rest (signing needs them, so they cannot be hashed). Every
// change is audited. No HTTP here; thread-safe.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.hpp"
#include "core/errors.hpp"
#include "core/expected.hpp"
#include "crypto/key_encryption_key.hpp"
#include "net/outbound_http.hpp"
#include "store/webhook_repository.hpp"

namespace archon::webhooks {

struct EndpointChanges {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> event_types;  // known types or {"*"}, checked by the caller
  std::optional<std::string> description;
  std::optional<bool> enabled;
};

struct EndpointWithSecret {
  store::WebhookEndpointRecord record;
  std::string secret;  // shown once
};

class WebhookService {
 public:
  WebhookService(store::WebhookRepository& repo, const crypto::KeyEncryptionKey& kek, const net::OutboundHttp& http,
                 audit::AuditLog& audit, std::chrono::seconds rotation_grace);

  // `changes` must hold url and event_types.
  Expected<EndpointWithSecret, ApiError> create(const std::string& actor, const EndpointChanges& changes,
                                                const audit::RequestInfo& info);
  std::pair<std::vector<store::WebhookEndpointRecord>, std::int64_t> list(std::int64_t page, std::int64_t limit);
  std::optional<store::WebhookEndpointRecord> find(const std::string& id);
  // Re-enabling clears the reason it was disabled.
  Expected<store::WebhookEndpointRecord, ApiError> update(const std::string& actor, const std::string& id,
                                                          const EndpointChanges& changes, const audit::RequestInfo& info);
  bool remove(const std::string& actor, const std::string& id, const audit::RequestInfo& info);
  Expected<EndpointWithSecret, ApiError> rotate_secret(const std::string& actor, const std::string& id,
                                                       const audit::RequestInfo& info);

  std::pair<std::vector<store::WebhookDeliveryRecord>, std::int64_t> deliveries(const std::string& id, std::int64_t page,
                                                                               std::int64_t limit);
  std::optional<std::int64_t> redeliver(const std::string& actor, const std::string& id, std::int64_t delivery_id,
                                        const audit::RequestInfo& info);

  // The secrets that sign a delivery now: the current one, and the previous one in its grace.
  std::vector<std::string> signing_secrets(const store::WebhookEndpointRecord& endpoint, std::int64_t now) const;

 private:
  std::optional<ApiError> check_url(const std::string& url) const;
  std::string seal(const std::string& endpoint_id, const std::string& secret) const;

  store::WebhookRepository& repo_;
  const crypto::KeyEncryptionKey& kek_;
  const net::OutboundHttp& http_;
  audit::AuditLog& audit_;
  std::chrono::seconds rotation_grace_;
};

}  // namespace archon::webhooks
