// The JSON shapes of the API's resources (the OpenAPI document's User and Session), made from
// the services' domain records: the services return records, the api layer shapes the wire.
#pragma once
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "store/agent_store.hpp"
#include "store/api_key_repository.hpp"
#include "store/identity_store.hpp"

namespace archon::api {

// The OpenAPI document's UserId: "user_" and at least one of [A-Za-z0-9_-], at most 128 in all.
bool is_user_id(std::string_view id);

// Epoch seconds as the API writes times ("2026-12-07T10:00:00Z"); null when absent.
boost::json::value iso_time(std::optional<std::int64_t> epoch_seconds);

boost::json::object user_json(const store::UserRecord& user);
// An agent token as listed to its user or an administrator (never the token itself).
boost::json::object agent_token_json(const store::AgentTokenRecord& token);
// An API key as listed (never the key itself).
boost::json::object api_key_json(const store::ApiKeyRecord& key);
// One audit event as GET /audit and /users/me/security-events list it.
boost::json::object audit_event_json(const store::AuditEventRecord& event);
// The sessions as listed to their user (or an administrator); `current` marks the caller's own.
boost::json::array sessions_json(const std::vector<store::SessionRecord>& sessions, const std::string& current);

}  // namespace archon::api
