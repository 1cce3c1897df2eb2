// API keys of services (tool servers, back-ends): a name, scopes and an optional expiry. The key
// itself is kept only as its SHA-256 (it is 190 random bits, so a fast hash is enough, as for
// service-client secrets). Backend-neutral; implementations are thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace archon::store {

struct ApiKeyRecord {
  std::string id;           // "key_<32 hex>"
  std::string name;
  std::string prefix;       // the key's first characters, for people to recognise it
  std::string key_hash;     // SHA-256 of the whole key, 32 raw bytes
  std::vector<std::string> scopes;
  std::string created_by;   // the administrator's user id
  std::int64_t created_at = 0;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> last_used_at;
  std::optional<std::int64_t> revoked_at;
};

class ApiKeyRepository {
 public:
  virtual ~ApiKeyRepository() = default;
  virtual void insert_api_key(const ApiKeyRecord& record) = 0;
  virtual std::optional<ApiKeyRecord> find_api_key_by_hash(const std::string& key_hash) = 0;
  virtual std::optional<ApiKeyRecord> find_api_key(const std::string& id) = 0;
  // Newest first; the total count beside the page.
  virtual std::pair<std::vector<ApiKeyRecord>, std::int64_t> list_api_keys(std::int64_t offset, std::int64_t limit) = 0;
  // Sets revoked_at unless already set; the record afterwards (nullopt when unknown).
  virtual std::optional<ApiKeyRecord> revoke_api_key(const std::string& id, std::int64_t now) = 0;
  virtual void touch_api_key(const std::string& id, std::int64_t now) = 0;
};

}  // namespace archon::store
