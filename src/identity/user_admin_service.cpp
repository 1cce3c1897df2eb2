#include "identity/user_admin_service.hpp"

#include <boost/json/value_from.hpp>

#include "store/store_errors.hpp"
#include "webhooks/emit.hpp"

namespace archon::identity {

bool keeps_an_administrator(std::int64_t admins_before, std::int64_t admins_after) {
  return admins_before == 0 || admins_after > 0;
}

std::pair<std::vector<store::UserRecord>, std::int64_t> UserAdminService::list(const store::UserQuery& query) {
  return ctx_.store.list_users(query);
}

std::optional<store::UserRecord> UserAdminService::find(const std::string& user_id) {
  return ctx_.store.find_user_by_id(user_id);
}

Expected<std::vector<std::string>, ApiError> UserAdminService::apply(const std::string& user_id,
                                                                     const UserChanges& c) {
  if (!ctx_.store.find_user_by_id(user_id)) return Unexpected{ApiError::make(ErrorCode::kUserNotFound)};
  try {
    // Deactivation ends every session at once.
    store::AdminChange change{c.name, c.roles, c.is_active, std::nullopt};
    if (c.is_active && !*c.is_active) change.revoke_sessions = "deactivated";
    std::vector<store::OutboxEvent> events;
    if (c.is_active && !*c.is_active) events.push_back(webhooks::make_event("user.deactivated", {{"user_id", user_id}}));
    auto revoked = webhooks::committing(std::move(events), [&] {
      return ctx_.store.update_user_admin(user_id, change, ctx_.now(), keeps_an_administrator);
    });
    deny_sessions(ctx_, revoked);
    return revoked;
  } catch (const store::ChangeRefused&) {
    return Unexpected{ApiError::make(
        ErrorCode::kUserLastAdmin,
        {{"user_id", "Is the last active administrator: give another account the admin role first"}})};
  }
}

Expected<store::UserRecord, ApiError> UserAdminService::update(const std::string& actor, const std::string& user_id,
                                                               const UserChanges& changes,
                                                               const audit::RequestInfo& info) {
  auto revoked = apply(user_id, changes);
  if (!revoked) return Unexpected{revoked.error()};
  boost::json::object changed;
  if (changes.name) changed["name"] = true;
  if (changes.roles) changed["roles"] = boost::json::value_from(*changes.roles);
  if (changes.is_active) changed["is_active"] = *changes.is_active;
  ctx_.audit.record(info, "admin_user_update", "success", actor, user_id, std::move(changed));
  auto user = ctx_.store.find_user_by_id(user_id);
  if (!user) return Unexpected{ApiError::make(ErrorCode::kUserNotFound)};
  return *user;
}

std::optional<store::LoginLockState> UserAdminService::lock_state(const std::string& user_id) {
  auto user = ctx_.store.find_user_by_id(user_id);
  if (!user) return std::nullopt;
  return ctx_.store.login_lock_state(user->email_normalized, ctx_.now());
}

bool UserAdminService::unlock(const std::string& actor, const std::string& user_id, const audit::RequestInfo& info) {
  auto user = ctx_.store.find_user_by_id(user_id);
  if (!user) return false;
  ctx_.store.clear_login_failures(user->email_normalized);
  ctx_.audit.record(info, "admin_user_unlock", "success", actor, user_id);
  return true;
}

Expected<std::size_t, ApiError> UserAdminService::deactivate(const std::string& actor, const std::string& user_id,
                                                             const audit::RequestInfo& info) {
  UserChanges changes;
  changes.is_active = false;
  auto revoked = apply(user_id, changes);
  if (!revoked) return Unexpected{revoked.error()};
  ctx_.audit.record(info, "admin_user_deactivate", "success", actor, user_id, {{"revoked_sessions", revoked->size()}});
  return revoked->size();
}

}  // namespace archon::identity
