#include "api/resource_json.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>

#include "core/clock.hpp"

namespace archon::api {
namespace {

boost::json::value iso(std::optional<std::int64_t> t) {
  if (!t) return nullptr;
  return boost::json::value(clock::iso8601_utc(std::chrono::system_clock::time_point(std::chrono::seconds(*t))));
}

boost::json::array strings(const std::vector<std::string>& v) {
  boost::json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// Stored JSON text as a value; an object if it is not JSON (it always is: the API checks it).
boost::json::value parsed_or_empty(const std::string& text) {
  try {
    return boost::json::parse(text);
  } catch (...) {
    return boost::json::object{};
  }
}

}  // namespace

boost::json::value iso_time(std::optional<std::int64_t> epoch_seconds) { return iso(epoch_seconds); }

bool is_user_id(std::string_view id) {
  if (id.size() <= 5 || id.size() > 128 || !id.starts_with("user_")) return false;
  return std::all_of(id.begin() + 5, id.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

boost::json::object agent_token_json(const store::AgentTokenRecord& t) {
  return {{"agent_id", t.agent_id},
          {"agent_type", t.agent_type},
          {"user_id", t.user_id},
          {"parent_agent_id", t.parent_agent_id ? boost::json::value(*t.parent_agent_id) : nullptr},
          {"root_agent_id", t.root_agent_id},
          {"depth", t.depth},
          {"capabilities", parsed_or_empty(t.capabilities)},
          {"restrictions", parsed_or_empty(t.restrictions)},
          {"session_id", t.session_id},
          {"created_at", t.created_at},
          {"expires_at", t.expires_at}};
}

boost::json::object api_key_json(const store::ApiKeyRecord& k) {
  return {{"id", k.id},
          {"name", k.name},
          {"prefix", k.prefix},
          {"scopes", strings(k.scopes)},
          {"created_by", k.created_by},
          {"created_at", iso(k.created_at)},
          {"expires_at", iso(k.expires_at)},
          {"last_used_at", iso(k.last_used_at)},
          {"revoked_at", iso(k.revoked_at)}};
}

boost::json::object user_json(const store::UserRecord& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"name", u.name},
          {"roles", strings(u.roles)},
          {"permissions", strings(u.permissions)},
          {"is_active", u.is_active},
          {"email_verified", u.email_verified},
          {"preferences", parsed_or_empty(u.preferences)},
          {"created_at", iso(u.created_at)},
          {"last_login", iso(u.last_login)}};
}

boost::json::array sessions_json(const std::vector<store::SessionRecord>& sessions, const std::string& current) {
  boost::json::array out;
  for (const auto& s : sessions)
    out.push_back(boost::json::object{{"session_id", s.id},
                                      {"device_info", parsed_or_empty(s.device_info)},
                                      {"created_at", iso(s.created_at)},
                                      {"last_accessed", iso(s.last_seen_at)},
                                      {"expires_at", iso(std::min(s.idle_expires_at, s.absolute_expires_at))},
                                      {"is_active", true},
                                      {"current", s.id == current},
                                      {"client_address", s.client_address},
                                      {"user_agent", s.user_agent}});
  return out;
}

boost::json::object audit_event_json(const store::AuditEventRecord& e) {
  boost::json::object details;
  try {
    auto parsed = boost::json::parse(e.details);
    if (parsed.is_object()) details = parsed.as_object();
  } catch (...) {
  }
  return {{"seq", e.seq},
          {"at", clock::iso8601_utc(std::chrono::system_clock::time_point(std::chrono::seconds(e.at)))},
          {"event", e.event},
          {"outcome", e.outcome},
          {"actor", e.actor},
          {"user_id", e.user_id ? boost::json::value(*e.user_id) : nullptr},
          {"request_id", e.request_id},
          {"client_address", e.client_address},
          {"user_agent", e.user_agent},
          {"details", std::move(details)}};
}

}  // namespace archon::api
