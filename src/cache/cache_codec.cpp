#include "cache/cache_codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace archon::cache {
namespace {

namespace json = boost::json;

boost::json::array string_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// Throws (std::exception) on a missing or mistyped member: the caller treats that as a miss.
std::vector<std::string> strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& v : o.at(key).as_array()) out.emplace_back(v.as_string());
  return out;
}

std::optional<json::value> parse(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

}  // namespace

std::string encode_user(const store::UserRecord& u) {
  json::object o{{"id", u.id},
                 {"email", u.email},
                 {"email_normalized", u.email_normalized},
                 {"name", u.name},
                 {"email_verified", u.email_verified},
                 {"is_active", u.is_active},
                 {"marketing_consent", u.marketing_consent},
                 {"preferences", u.preferences},
                 {"created_at", u.created_at},
                 {"updated_at", u.updated_at},
                 {"roles", string_array(u.roles)},
                 {"permissions", string_array(u.permissions)}};
  if (u.last_login) o["last_login"] = *u.last_login;
  return json::serialize(o);
}

std::optional<store::UserRecord> decode_user(std::string_view text) {
  auto v = parse(text);
  if (!v || !v->is_object()) return std::nullopt;
  try {
    const auto& o = v->as_object();
    store::UserRecord u;
    u.id = o.at("id").as_string();
    u.email = o.at("email").as_string();
    u.email_normalized = o.at("email_normalized").as_string();
    u.name = o.at("name").as_string();
    u.email_verified = o.at("email_verified").as_bool();
    u.is_active = o.at("is_active").as_bool();
    u.marketing_consent = o.at("marketing_consent").as_bool();
    u.preferences = o.at("preferences").as_string();
    u.created_at = o.at("created_at").as_int64();
    u.updated_at = o.at("updated_at").as_int64();
    if (auto* ll = o.if_contains("last_login")) u.last_login = ll->as_int64();
    u.roles = strings(o, "roles");
    u.permissions = strings(o, "permissions");
    return u;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string encode_grants(const std::vector<store::AgentGrant>& grants) {
  json::array a;
  for (const auto& g : grants)
    a.emplace_back(json::object{{"role", g.role}, {"agent_type", g.agent_type}, {"capabilities", g.capabilities}});
  return json::serialize(a);
}

std::optional<std::vector<store::AgentGrant>> decode_grants(std::string_view text) {
  auto v = parse(text);
  if (!v || !v->is_array()) return std::nullopt;
  try {
    std::vector<store::AgentGrant> out;
    for (const auto& e : v->as_array()) {
      const auto& o = e.as_object();
      out.push_back({std::string(o.at("role").as_string()), std::string(o.at("agent_type").as_string()),
                     std::string(o.at("capabilities").as_string())});
    }
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace archon::cache
