// Where the token service keeps its signing keys. Backend-neutral: SQLite today, PostgreSQL
// with scale-out; nothing above this interface knows which. Implementations are thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace archon::store {

struct SigningKeyRecord {
  std::string kid;
  std::string kind;            // "access" | "agent"
  std::string alg;             // "RS256" | "ES256" | "EdDSA"
  std::string public_jwk;      // JSON text
  std::string sealed_private;  // KEK-sealed PKCS#8 PEM
  std::int64_t created_at = 0;    // epoch seconds
  std::int64_t activates_at = 0;  // signs from here until a newer key of its kind activates
};

class SigningKeyRepository {
 public:
  virtual ~SigningKeyRepository() = default;
  // Every stored key, oldest activation first.
  virtual std::vector<SigningKeyRecord> list_signing_keys() = 0;
  virtual void insert_signing_key(const SigningKeyRecord& record) = 0;
  virtual void delete_signing_key(const std::string& kid) = 0;
};

}  // namespace archon::store
