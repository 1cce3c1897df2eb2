// Service credentials of resource servers (introspection, agent verification). The secret is
// kept only as its SHA-256. Backend-neutral; implementations are thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace archon::store {

struct ServiceClientRecord {
  std::string client_id;
  std::string name;
  std::string secret_hash;  // SHA-256 of the secret, 32 raw bytes
  std::int64_t created_at = 0;
  std::optional<std::int64_t> disabled_at;
};

class ServiceClientRepository {
 public:
  virtual ~ServiceClientRepository() = default;
  virtual void insert_service_client(const ServiceClientRecord& record) = 0;
  virtual std::optional<ServiceClientRecord> find_service_client(const std::string& client_id) = 0;
  virtual std::vector<ServiceClientRecord> list_service_clients() = 0;
};

}  // namespace archon::store
