// The token service's repositories on the embedded SQLite database. Thread-safe (the
// database serializes access).
#pragma once
#include "store/token_store.hpp"
#include "store/sqlite/sqlite_database.hpp"

namespace archon::store {

class SqliteTokenStore final : public TokenStore {
 public:
  explicit SqliteTokenStore(SqliteDatabase& db) : db_(db) {}

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
  SqliteDatabase& db_;
};

}  // namespace archon::store
