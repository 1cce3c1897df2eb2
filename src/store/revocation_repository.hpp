// Durable record of revoked tokens, sessions and families, kept until what they revoke would
// have expired anyway. Backend-neutral; implementations are thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace archon::store {

struct RevocationRecord {
  std::string subject_kind;  // "jti" | "session" | "family"
  std::string subject_id;
  std::int64_t expires_at = 0;  // epoch seconds; the record may be dropped after this
  std::int64_t revoked_at = 0;
};

class RevocationRepository {
 public:
  virtual ~RevocationRepository() = default;
  // Idempotent: revoking twice keeps the later expiry.
  virtual void insert_revocation(const RevocationRecord& record) = 0;
  virtual std::vector<RevocationRecord> list_live_revocations(std::int64_t now) = 0;
  // One point lookup: is (kind, id) revoked with an expiry at or after `now`? For instances that
  // may have missed another instance's revocation message (the shared bus is down).
  virtual bool is_revoked(const std::string& subject_kind, const std::string& subject_id, std::int64_t now) = 0;
  virtual void delete_expired_revocations(std::int64_t now) = 0;
};

}  // namespace archon::store
