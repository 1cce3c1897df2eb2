// The token service's repositories (signing keys, revocations, service clients), one body of
// SQL for both backends. Thread-safe.
#pragma once
#include "store/sql/sql.hpp"
#include "store/token_store.hpp"

namespace archon::store {

class SqlTokenStore final : public TokenStore {
 public:
  explicit SqlTokenStore(sql::Database& db) : db_(db) {}

  std::vector<SigningKeyRecord> list_signing_keys() override;
  void insert_signing_key(const SigningKeyRecord& record) override;
  void delete_signing_key(const std::string& kid) override;

  void insert_revocation(const RevocationRecord& record) override;
  std::vector<RevocationRecord> list_live_revocations(std::int64_t now) override;
  bool is_revoked(const std::string& subject_kind, const std::string& subject_id, std::int64_t now) override;
  void delete_expired_revocations(std::int64_t now) override;

  void insert_service_client(const ServiceClientRecord& record) override;
  std::optional<ServiceClientRecord> find_service_client(const std::string& client_id) override;
  std::vector<ServiceClientRecord> list_service_clients() override;

 private:
  sql::Database& db_;
};

}  // namespace archon::store
