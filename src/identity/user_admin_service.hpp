// Administration of other people's accounts: list and read users, change a user's name, roles
// and activation, deactivate. Every change is audited under the acting administrator, revokes
// what it must (a deactivated user's sessions, at once on every instance) and never leaves the
// deployment without an active administrator. No HTTP here; thread-safe.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.hpp"
#include "core/errors.hpp"
#include "core/expected.hpp"
#include "identity/identity_context.hpp"

namespace archon::identity {

struct UserChanges {
  std::optional<std::string> name;               // already trimmed and checked
  std::optional<std::vector<std::string>> roles;  // known role names, no duplicates
  std::optional<bool> is_active;
};

// The rule administration keeps: a deployment that has an active administrator keeps one.
bool keeps_an_administrator(std::int64_t admins_before, std::int64_t admins_after);

class UserAdminService {
 public:
  explicit UserAdminService(IdentityContext& ctx) : ctx_(ctx) {}

  std::pair<std::vector<store::UserRecord>, std::int64_t> list(const store::UserQuery& query);
  std::optional<store::UserRecord> find(const std::string& user_id);
  // USER_NOT_FOUND, or USER_LAST_ADMIN (nothing written) when the change would leave no active
  // administrator; else the user as changed.
  Expected<store::UserRecord, ApiError> update(const std::string& actor, const std::string& user_id,
                                               const UserChanges& changes, const audit::RequestInfo& info);
  // What locks the user's logins now; nullopt when there is no such user.
  std::optional<store::LoginLockState> lock_state(const std::string& user_id);
  // Ends every failure count and lock of the user's email.
  bool unlock(const std::string& actor, const std::string& user_id, const audit::RequestInfo& info);
  // Deactivates and revokes every session; returns how many were revoked.
  Expected<std::size_t, ApiError> deactivate(const std::string& actor, const std::string& user_id,
                                             const audit::RequestInfo& info);

 private:
  Expected<std::vector<std::string>, ApiError> apply(const std::string& user_id, const UserChanges& changes);
  IdentityContext& ctx_;
};

}  // namespace archon::identity
