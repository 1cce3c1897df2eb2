// API keys, one body of SQL for both backends. Thread-safe.
#pragma once
#include "store/api_key_repository.hpp"
#include "store/sql/sql.hpp"

namespace archon::store {

class SqlApiKeyStore final : public ApiKeyRepository {
 public:
  explicit SqlApiKeyStore(sql::Database& db) : db_(db) {}

  void insert_api_key(const ApiKeyRecord& record) override;
  std::optional<ApiKeyRecord> find_api_key_by_hash(const std::string& key_hash) override;
  std::optional<ApiKeyRecord> find_api_key(const std::string& id) override;
  std::pair<std::vector<ApiKeyRecord>, std::int64_t> list_api_keys(std::int64_t offset, std::int64_t limit) override;
  std::optional<ApiKeyRecord> revoke_api_key(const std::string& id, std::int64_t now) override;
  void touch_api_key(const std::string& id, std::int64_t now) override;

 private:
  sql::Database& db_;
};

}  // namespace archon::store
