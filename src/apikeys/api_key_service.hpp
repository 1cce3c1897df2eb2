// API keys for services: administrators create them (shown once), list and revoke them; every
// request carrying X-API-Key is authenticated here. A key is looked up in the store on every
// use (no cache), so a revocation holds on the next request on every instance. Creation and
// revocation are audited; keys are never logged. No HTTP here; thread-safe.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "audit/audit_log.hpp"
#include "store/api_key_repository.hpp"

namespace archon::apikeys {

// The fixed set of scopes a key may hold.
inline constexpr std::string_view kScopes[] = {"agents:verify", "tokens:introspect", "tokens:revoke",
                                               "users:read",    "audit:read",        "webhooks:manage"};
bool is_scope(std::string_view scope) noexcept;
// "The key may do `scope`" — exact membership.
bool holds_scope(const store::ApiKeyRecord& key, std::string_view scope) noexcept;

struct NewApiKey {
  std::string name;                 // checked by the caller (1..100 characters)
  std::vector<std::string> scopes;  // checked: non-empty, known, unique
  std::optional<std::int64_t> lifetime_seconds;
};

struct CreatedApiKey {
  store::ApiKeyRecord record;
  std::string key;  // the secret: returned once, never stored
};

class ApiKeyService {
 public:
  ApiKeyService(store::ApiKeyRepository& repo, audit::AuditLog& audit) : repo_(repo), audit_(audit) {}

  CreatedApiKey create(const std::string& admin_id, NewApiKey request, const audit::RequestInfo& info);
  std::pair<std::vector<store::ApiKeyRecord>, std::int64_t> list(std::int64_t page, std::int64_t limit);
  std::optional<store::ApiKeyRecord> find(const std::string& id);
  // Idempotent: a second revocation returns the record as the first left it.
  std::optional<store::ApiKeyRecord> revoke(const std::string& admin_id, const std::string& id,
                                            const audit::RequestInfo& info);

  // The live key this secret names (well formed, known, not revoked, not expired), or nullopt.
  // Timing does not depend on how far a wrong key matches (the lookup is by its hash).
  std::optional<store::ApiKeyRecord> authenticate(std::string_view presented);

  // last_used_at is written at most this often per key and instance (not once per request).
  static constexpr std::int64_t kTouchIntervalSeconds = 60;

 private:
  void note_use(const store::ApiKeyRecord& key, std::int64_t now);

  store::ApiKeyRepository& repo_;
  audit::AuditLog& audit_;
  std::mutex touch_mu_;
  std::unordered_map<std::string, std::int64_t> last_touch_;  // key id -> epoch seconds
};

}  // namespace archon::apikeys
