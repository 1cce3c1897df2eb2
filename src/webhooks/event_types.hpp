// The webhook event types archon-auth emits (docs/webhooks.md lists each one's data). An
// endpoint subscribes to some of them, or to "*" for all, including types added later.
#pragma once
#include <algorithm>
#include <iterator>
#include <string_view>

namespace archon::webhooks {

inline constexpr std::string_view kEventTypes[] = {
    "user.registered",   "user.email_verified", "user.locked",         "user.password_changed",
    "user.deactivated",  "session.revoked",     "refresh_token.reuse_detected",
    "agent.token_issued", "agent.delegated",    "agent.token_revoked", "webhook.endpoint_disabled",
};

inline bool is_event_type(std::string_view type) {
  return std::find(std::begin(kEventTypes), std::end(kEventTypes), type) != std::end(kEventTypes);
}

}  // namespace archon::webhooks
