#include "core/config.hpp"

#include <charconv>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <tuple>

#include <boost/asio/ip/address.hpp>
#include <yaml-cpp/yaml.h>

#include "core/config_sections.hpp"
#include "core/yaml_read.hpp"
#include "core/ip_networks.hpp"

namespace archon {
namespace {

using Err = Unexpected<std::string>;

using yaml::check_keys;
using yaml::read_bool;
using yaml::read_int;
using yaml::read_string;
using yaml::read_string_list;

std::optional<std::string> parse_server(const YAML::Node& n, ServerConfig& s) {
  const std::string p = "server";
  if (auto e = check_keys(n, p,
                          {"listen", "threads", "max_body_bytes", "read_timeout_seconds", "idle_timeout_seconds",
                           "shutdown_grace_seconds", "max_connections", "trusted_proxies", "rate_limit_max_keys"}))
    return e;
  auto fail = [](const std::string& m) { return std::optional<std::string>(m); };
  if (n["listen"]) {
    auto str = read_string(n["listen"], p + ".listen");
    if (!str) return fail(str.error());
    auto addr = parse_listen_address(*str);
    if (!addr) return fail(p + ".listen: " + addr.error());
    s.listen = *addr;
  }
  auto num = [&](const char* key, std::int64_t min, std::int64_t max, auto assign) -> std::optional<std::string> {
    if (!n[key]) return std::nullopt;
    auto v = read_int(n[key], p + "." + key, min, max);
    if (!v) return v.error();
    assign(*v);
    return std::nullopt;
  };
  if (auto e = num("threads", 0, 256, [&](auto v) { s.threads = static_cast<unsigned>(v); })) return e;
  if (auto e = num("max_body_bytes", 1, 64 * 1024 * 1024, [&](auto v) { s.max_body_bytes = static_cast<std::size_t>(v); })) return e;
  if (auto e = num("read_timeout_seconds", 1, 3600, [&](auto v) { s.read_timeout = std::chrono::seconds(v); })) return e;
  if (auto e = num("idle_timeout_seconds", 1, 86400, [&](auto v) { s.idle_timeout = std::chrono::seconds(v); })) return e;
  if (auto e = num("shutdown_grace_seconds", 0, 3600, [&](auto v) { s.shutdown_grace = std::chrono::seconds(v); })) return e;
  if (auto e = num("max_connections", 1, 1000000, [&](auto v) { s.max_connections = static_cast<std::size_t>(v); })) return e;
  if (auto e = num("rate_limit_max_keys", 64, 100'000'000, [&](auto v) { s.rate_limit_max_keys = static_cast<std::size_t>(v); })) return e;
  if (n["trusted_proxies"]) {
    auto v = read_string_list(n["trusted_proxies"], p + ".trusted_proxies");
    if (!v) return v.error();
    if (auto parsed = IpNetworks::parse(*v); !parsed) return p + ".trusted_proxies: " + parsed.error();
    s.trusted_proxies = std::move(*v);
  }
  return std::nullopt;
}

std::optional<std::string> parse_log(const YAML::Node& n, LogConfig& l) {
  if (auto e = check_keys(n, "log", {"level", "access_log"})) return e;
  if (n["level"]) {
    auto v = read_string(n["level"], "log.level");
    if (!v) return v.error();
    static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error", "off"};
    if (!kLevels.count(*v)) return "log.level: must be one of trace, debug, info, warn, error, off";
    l.level = *v;
  }
  if (n["access_log"]) {
    auto v = read_bool(n["access_log"], "log.access_log");
    if (!v) return v.error();
    l.access_log = *v;
  }
  return std::nullopt;
}

bool is_valid_origin(const std::string& o) {
  // scheme://host[:port], no path, no trailing slash; "*" is refused (never reflect anyone).
  auto pos = o.find("://");
  if (pos == std::string::npos) return false;
  std::string scheme = o.substr(0, pos);
  if (scheme != "http" && scheme != "https") return false;
  std::string rest = o.substr(pos + 3);
  if (rest.empty() || rest.find_first_of("/?#@ *") != std::string::npos) return false;
  return true;
}

std::optional<std::string> parse_cors(const YAML::Node& n, CorsConfig& c) {
  const std::string p = "cors";
  if (auto e = check_keys(n, p, {"allow_origins", "allow_methods", "allow_headers", "expose_headers", "max_age"}))
    return e;
  auto list = [&](const char* key, std::vector<std::string>& out) -> std::optional<std::string> {
    if (!n[key]) return std::nullopt;
    auto v = read_string_list(n[key], p + "." + key);
    if (!v) return v.error();
    out = *v;
    return std::nullopt;
  };
  if (auto e = list("allow_origins", c.allow_origins)) return e;
  for (std::size_t i = 0; i < c.allow_origins.size(); ++i)
    if (!is_valid_origin(c.allow_origins[i]))
      return p + ".allow_origins[" + std::to_string(i) + "]: must be an exact origin like https://app.example.com";
  if (auto e = list("allow_methods", c.allow_methods)) return e;
  static const std::set<std::string> kMethods{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  for (std::size_t i = 0; i < c.allow_methods.size(); ++i)
    if (!kMethods.count(c.allow_methods[i]))
      return p + ".allow_methods[" + std::to_string(i) + "]: unknown HTTP method '" + c.allow_methods[i] + "'";
  if (auto e = list("allow_headers", c.allow_headers)) return e;
  if (auto e = list("expose_headers", c.expose_headers)) return e;
  if (n["max_age"]) {
    auto v = read_int(n["max_age"], p + ".max_age", 0, 86400 * 7);
    if (!v) return v.error();
    c.max_age = std::chrono::seconds(*v);
  }
  return std::nullopt;
}

std::optional<std::string> parse_token_kind(const YAML::Node& n, const std::string& p, TokenKindConfig& k) {
  if (auto e = check_keys(n, p, {"algorithm", "lifetime_seconds", "rotate_every_days"})) return e;
  if (n["algorithm"]) {
    auto v = read_string(n["algorithm"], p + ".algorithm");
    if (!v) return v.error();
    if (*v != "RS256" && *v != "ES256" && *v != "EdDSA") return p + ".algorithm: must be RS256, ES256 or EdDSA";
    k.algorithm = *v;
  }
  if (n["lifetime_seconds"]) {
    // From 5 s: short-lived access tokens are a real deployment choice (and what a test of refresh
    // under expiry needs); keep tokens.leeway_seconds below it, or expired tokens pass for that long.
    auto v = read_int(n["lifetime_seconds"], p + ".lifetime_seconds", 5, 86400);
    if (!v) return v.error();
    k.lifetime = std::chrono::seconds(*v);
  }
  if (n["rotate_every_days"]) {
    auto v = read_int(n["rotate_every_days"], p + ".rotate_every_days", 0, 3650);
    if (!v) return v.error();
    k.rotate_every = std::chrono::seconds(*v * 86400);
  }
  return std::nullopt;
}

std::optional<std::string> parse_tokens(const YAML::Node& n, TokensConfig& t) {
  const std::string p = "tokens";
  if (auto e = check_keys(n, p,
                          {"issuer", "public_url", "access", "agent", "propagation_delay_seconds", "leeway_seconds",
                           "verified_cache_entries", "key_refresh_seconds"}))
    return e;
  for (auto [key, target, configured] : {std::tuple{"issuer", &t.issuer, &t.issuer_configured},
                                         std::tuple{"public_url", &t.public_url, &t.public_url_configured}}) {
    if (!n[key]) continue;
    auto v = read_string(n[key], p + "." + key);
    if (!v) return v.error();
    if (v->empty()) return p + "." + key + ": must not be empty";
    *target = *v;
    *configured = true;
  }
  if (t.public_url_configured && t.public_url.rfind("http://", 0) != 0 && t.public_url.rfind("https://", 0) != 0)
    return p + ".public_url: must start with http:// or https://";
  while (!t.public_url.empty() && t.public_url.back() == '/') t.public_url.pop_back();
  if (n["access"])
    if (auto e = parse_token_kind(n["access"], p + ".access", t.access)) return e;
  if (n["agent"])
    if (auto e = parse_token_kind(n["agent"], p + ".agent", t.agent)) return e;
  auto secs = [&](const char* key, std::int64_t min, std::int64_t max, std::chrono::seconds& out) -> std::optional<std::string> {
    if (!n[key]) return std::nullopt;
    auto v = read_int(n[key], p + "." + key, min, max);
    if (!v) return v.error();
    out = std::chrono::seconds(*v);
    return std::nullopt;
  };
  if (auto e = secs("propagation_delay_seconds", 0, 86400, t.propagation_delay)) return e;
  if (auto e = secs("leeway_seconds", 0, 300, t.leeway)) return e;
  if (auto e = secs("key_refresh_seconds", 1, 3600, t.key_refresh)) return e;
  if (n["verified_cache_entries"]) {
    auto v = read_int(n["verified_cache_entries"], p + ".verified_cache_entries", 0, 10'000'000);
    if (!v) return v.error();
    t.verified_cache_entries = static_cast<std::size_t>(*v);
  }
  return std::nullopt;
}

std::optional<std::string> parse_identity(const YAML::Node& n, IdentityConfig& c) {
  const std::string p = "identity";
  if (auto e = check_keys(n, p,
                          {"require_email_verification", "password_min_chars", "argon2_memory_kib", "argon2_iterations",
                           "hashing_threads", "hashing_queue", "lockout_failures", "lockout_duration_seconds",
                           "account_failures_per_hour", "verification_token_lifetime_seconds",
                           "reset_token_lifetime_seconds", "mail_from"}))
    return e;
  if (n["require_email_verification"]) {
    auto v = read_bool(n["require_email_verification"], p + ".require_email_verification");
    if (!v) return v.error();
    c.require_email_verification = *v;
  }
  if (n["mail_from"]) {
    auto v = read_string(n["mail_from"], p + ".mail_from");
    if (!v) return v.error();
    if (v->find_first_of("\r\n") != std::string::npos || v->find('@') == std::string::npos)
      return p + ".mail_from: must be one line holding an address";
    c.mail_from = *v;
  }
  struct IntKey {
    const char* key;
    std::int64_t min, max;
    std::function<void(std::int64_t)> set;
  };
  const IntKey keys[] = {
      {"password_min_chars", 8, 128, [&](auto v) { c.password_min_chars = static_cast<std::size_t>(v); }},
      {"argon2_memory_kib", 8192, 1048576, [&](auto v) { c.argon2_memory_kib = static_cast<std::size_t>(v); }},
      {"argon2_iterations", 1, 10, [&](auto v) { c.argon2_iterations = static_cast<std::size_t>(v); }},
      {"hashing_threads", 0, 64, [&](auto v) { c.hashing_threads = static_cast<unsigned>(v); }},
      {"hashing_queue", 1, 100000, [&](auto v) { c.hashing_queue = static_cast<std::size_t>(v); }},
      {"lockout_failures", 1, 1000, [&](auto v) { c.lockout_failures = static_cast<int>(v); }},
      {"lockout_duration_seconds", 1, 86400, [&](auto v) { c.lockout_duration = std::chrono::seconds(v); }},
      {"account_failures_per_hour", 1, 100000, [&](auto v) { c.account_failures_per_hour = static_cast<int>(v); }},
      {"verification_token_lifetime_seconds", 60, 7 * 86400,
       [&](auto v) { c.verification_token_lifetime = std::chrono::seconds(v); }},
      {"reset_token_lifetime_seconds", 60, 86400, [&](auto v) { c.reset_token_lifetime = std::chrono::seconds(v); }},
  };
  for (const auto& k : keys) {
    if (!n[k.key]) continue;
    auto v = read_int(n[k.key], p + "." + k.key, k.min, k.max);
    if (!v) return v.error();
    k.set(*v);
  }
  return std::nullopt;
}

std::optional<std::string> parse_sessions(const YAML::Node& n, SessionsConfig& c) {
  const std::string p = "sessions";
  if (auto e = check_keys(n, p, {"refresh_grace_seconds", "idle_timeout_seconds", "lifetime_seconds",
                                 "remember_me_lifetime_seconds"}))
    return e;
  struct Key {
    const char* key;
    std::int64_t min, max;
    std::chrono::seconds* target;
  };
  const Key keys[] = {{"refresh_grace_seconds", 0, 300, &c.refresh_grace},
                      {"idle_timeout_seconds", 60, 90 * 86400, &c.idle_timeout},
                      {"lifetime_seconds", 60, 365 * 86400, &c.lifetime},
                      {"remember_me_lifetime_seconds", 60, 365 * 86400, &c.remember_me_lifetime}};
  for (const auto& k : keys) {
    if (!n[k.key]) continue;
    auto v = read_int(n[k.key], p + "." + k.key, k.min, k.max);
    if (!v) return v.error();
    *k.target = std::chrono::seconds(*v);
  }
  return std::nullopt;
}

std::optional<std::string> parse_agents(const YAML::Node& n, AgentsConfig& a) {
  if (auto e = check_keys(n, "agents", {"catalog_file", "max_delegation_depth"})) return e;
  if (n["catalog_file"]) {
    auto v = read_string(n["catalog_file"], "agents.catalog_file");
    if (!v) return v.error();
    a.catalog_file = *v;
  }
  if (n["max_delegation_depth"]) {
    auto v = read_int(n["max_delegation_depth"], "agents.max_delegation_depth", 0, 10);
    if (!v) return v.error();
    a.max_delegation_depth = static_cast<int>(*v);
  }
  return std::nullopt;
}

// The spec's rate_limits block: group -> tier -> dimension.
const std::map<std::string, std::map<std::string, std::set<std::string>>>& rate_limit_schema() {
  static const std::map<std::string, std::map<std::string, std::set<std::string>>> kSchema{
      {"authentication",
       {{"login", {"per_ip", "per_user"}},
        {"register", {"per_ip", "global"}},
        {"password_reset", {"per_email", "per_ip"}}}},
      {"api_access",
       {{"authenticated", {"per_user", "burst"}}, {"agent", {"per_agent", "burst"}}, {"admin", {"per_user", "burst"}},
        {"api_key", {"per_key", "burst"}}}},
      {"public", {{"health_check", {"per_ip"}}, {"documentation", {"per_ip"}}}},
  };
  return kSchema;
}

std::optional<std::string> parse_rate_limits(const YAML::Node& n, std::map<std::string, RateLimitTier>& out) {
  const auto& schema = rate_limit_schema();
  std::set<std::string> groups;
  for (const auto& g : schema) groups.insert(g.first);
  if (auto e = check_keys(n, "rate_limits", groups)) return e;
  for (const auto& [group, tiers] : schema) {
    const YAML::Node gnode = n[group];
    if (!gnode) continue;
    std::string gpath = "rate_limits." + group;
    std::set<std::string> tier_names;
    for (const auto& t : tiers) tier_names.insert(t.first);
    if (auto e = check_keys(gnode, gpath, tier_names)) return e;
    for (const auto& [tier, dims] : tiers) {
      const YAML::Node tnode = gnode[tier];
      if (!tnode) continue;
      std::string tpath = gpath + "." + tier;
      if (auto e = check_keys(tnode, tpath, dims)) return e;
      RateLimitTier& target = out[group + "." + tier];
      // A tier that sets its rate but not its burst bursts to that rate, not to the default's burst.
      if (!tnode["burst"]) target.burst.reset();
      for (const auto& kv : tnode) {
        std::string dim = kv.first.Scalar();
        std::string dpath = tpath + "." + dim;
        if (dim == "burst") {
          auto v = read_int(kv.second, dpath, 1, 1'000'000'000);
          if (!v) return v.error();
          target.burst = static_cast<std::uint64_t>(*v);
          continue;
        }
        auto s = read_string(kv.second, dpath);
        if (!s) return s.error();
        auto spec = parse_rate_spec(*s);
        if (!spec) return dpath + ": " + spec.error();
        target.limits[dim] = *spec;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::string ListenAddress::to_string() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

void resolve_public_url(TokensConfig& tokens, const ListenAddress& listen) {
  if (!tokens.public_url_configured) {
    std::string host = listen.host;
    if (host == "0.0.0.0") host = "127.0.0.1";
    else if (host == "::") host = "::1";
    tokens.public_url = "http://" + ListenAddress{host, listen.port}.to_string();
  }
  if (!tokens.issuer_configured) tokens.issuer = tokens.public_url;
}

Expected<ListenAddress, std::string> parse_listen_address(const std::string& text) {
  std::string host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return Err{"expected [IPv6]:PORT, got '" + text + "'"};
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return Err{"expected HOST:PORT, got '" + text + "'"};
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host, ec);
  if (ec) return Err{"'" + host + "' is not an IP address"};
  unsigned p = 0;
  auto [ptr, perr] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (perr != std::errc() || ptr != port.data() + port.size() || p > 65535 || port.empty())
    return Err{"'" + port + "' is not a port number"};
  return ListenAddress{addr.to_string(), static_cast<std::uint16_t>(p)};
}

Expected<RateSpec, std::string> parse_rate_spec(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return Err{"expected N/unit (e.g. 5/minute), got '" + text + "'"};
  std::string n = text.substr(0, slash), unit = text.substr(slash + 1);
  std::uint64_t count = 0;
  auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), count);
  if (ec != std::errc() || p != n.data() + n.size() || count == 0 || count > 1'000'000'000)
    return Err{"the count in '" + text + "' must be a positive integer"};
  static const std::map<std::string, std::int64_t> kUnits{{"second", 1}, {"minute", 60}, {"hour", 3600}, {"day", 86400}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) return Err{"the unit in '" + text + "' must be second, minute, hour or day"};
  return RateSpec{count, std::chrono::seconds(it->second)};
}

std::map<std::string, RateLimitTier> Config::default_rate_limits() {
  using std::chrono::seconds;
  const seconds m{60}, h{3600};
  std::map<std::string, RateLimitTier> d;
  d["authentication.login"] = {{{"per_ip", {5, m}}, {"per_user", {10, m}}}, std::nullopt};
  d["authentication.register"] = {{{"per_ip", {3, m}}, {"global", {1000, h}}}, std::nullopt};
  d["authentication.password_reset"] = {{{"per_email", {3, h}}, {"per_ip", {10, h}}}, std::nullopt};
  d["api_access.authenticated"] = {{{"per_user", {1000, m}}}, 2000};
  d["api_access.agent"] = {{{"per_agent", {10000, m}}}, 20000};
  d["api_access.admin"] = {{{"per_user", {5000, m}}}, 10000};
  d["api_access.api_key"] = {{{"per_key", {10000, m}}}, 20000};
  d["public.health_check"] = {{{"per_ip", {60, m}}}, std::nullopt};
  d["public.documentation"] = {{{"per_ip", {100, m}}}, std::nullopt};
  return d;
}

namespace {

// Integer settings of one section, each with its bounds; absent keys keep their defaults.
struct IntField {
  const char* key;
  int* field;
  int min, max;
};
std::optional<std::string> read_int_fields(const YAML::Node& n, const std::string& section,
                                           std::initializer_list<IntField> fields) {
  for (const auto& f : fields) {
    if (!n[f.key]) continue;
    auto v = read_int(n[f.key], section + "." + f.key, f.min, f.max);
    if (!v) return v.error();
    *f.field = static_cast<int>(*v);
  }
  return std::nullopt;
}

std::optional<std::string> parse_store(const YAML::Node& n, StoreConfig& s) {
  if (auto e = check_keys(n, "store", {"driver", "url", "pool_min", "pool_max", "command_timeout_ms", "worker_threads"}))
    return e;
  if (n["driver"]) {
    auto v = read_string(n["driver"], "store.driver");
    if (!v) return v.error();
    if (*v != "sqlite" && *v != "postgres") return std::string("store.driver: must be sqlite or postgres");
    s.driver = *v;
  }
  if (n["url"]) {
    auto v = read_string(n["url"], "store.url");
    if (!v) return v.error();
    s.url = *v;
  }
  if (auto e = read_int_fields(n, "store", {{"pool_min", &s.pool_min, 1, 1000},
                                              {"pool_max", &s.pool_max, 1, 1000},
                                              {"command_timeout_ms", &s.command_timeout_ms, 100, 600'000},
                                              {"worker_threads", &s.worker_threads, 0, 1000}}))
    return e;
  if (s.pool_min > s.pool_max) return std::string("store.pool_min: must not exceed store.pool_max");
  return std::nullopt;
}

std::optional<std::string> parse_redis(const YAML::Node& n, RedisConfig& r) {
  if (auto e = check_keys(n, "redis", {"url", "pool_size", "connect_timeout_ms", "command_timeout_ms"})) return e;
  if (n["url"]) {
    auto v = read_string(n["url"], "redis.url");
    if (!v) return v.error();
    r.url = *v;
  }
  if (auto e = read_int_fields(n, "redis", {{"pool_size", &r.pool_size, 1, 1000},
                                              {"connect_timeout_ms", &r.connect_timeout_ms, 10, 60'000},
                                              {"command_timeout_ms", &r.command_timeout_ms, 10, 60'000}}))
    return e;
  return std::nullopt;
}

}  // namespace

Expected<Config, std::string> parse_config_yaml(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Err{"YAML syntax error at line " + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
  Config cfg;
  if (root.IsNull()) return cfg;  // an empty file means all defaults
  if (auto e = check_keys(root, "", {"server", "data_dir", "log", "cors", "rate_limits", "tokens", "identity", "sessions", "agents", "cache", "store", "redis", "mail", "webhooks"})) return Err{*e};
  try {
    if (root["server"])
      if (auto e = parse_server(root["server"], cfg.server)) return Err{*e};
    if (root["data_dir"]) {
      auto v = read_string(root["data_dir"], "data_dir");
      if (!v) return Err{v.error()};
      if (v->empty()) return Err{"data_dir: must not be empty"};
      cfg.data_dir = *v;
    }
    if (root["log"])
      if (auto e = parse_log(root["log"], cfg.log)) return Err{*e};
    if (root["tokens"])
      if (auto e = parse_tokens(root["tokens"], cfg.tokens)) return Err{*e};
    if (root["identity"])
      if (auto e = parse_identity(root["identity"], cfg.identity)) return Err{*e};
    if (root["sessions"])
      if (auto e = parse_sessions(root["sessions"], cfg.sessions)) return Err{*e};
    if (root["agents"])
      if (auto e = parse_agents(root["agents"], cfg.agents)) return Err{*e};
    if (root["cors"])
      if (auto e = parse_cors(root["cors"], cfg.cors)) return Err{*e};
    if (root["rate_limits"])
      if (auto e = parse_rate_limits(root["rate_limits"], cfg.rate_limits)) return Err{*e};
    if (root["store"])
      if (auto e = parse_store(root["store"], cfg.store)) return Err{*e};
    if (root["redis"])
      if (auto e = parse_redis(root["redis"], cfg.redis)) return Err{*e};
    if (root["mail"])
      if (auto e = parse_mail(root["mail"], cfg.mail)) return Err{*e};
    if (root["webhooks"])
      if (auto e = parse_webhooks(root["webhooks"], cfg.webhooks)) return Err{*e};
    if (const YAML::Node c = root["cache"]) {
      if (auto e = check_keys(c, "cache", {"max_items"})) return Err{*e};
      if (c["max_items"]) {
        auto v = read_int(c["max_items"], "cache.max_items", 16, 10'000'000);
        if (!v) return Err{v.error()};
        cfg.cache.max_items = static_cast<std::size_t>(*v);
      }
    }
  } catch (const YAML::Exception& e) {
    return Err{std::string("invalid configuration: ") + e.msg};
  }
  return cfg;
}

Expected<Config, std::string> load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Err{path + ": cannot be read"};
  std::stringstream ss;
  ss << in.rdbuf();
  auto cfg = parse_config_yaml(ss.str());
  if (!cfg) return Err{path + ": " + cfg.error()};
  return cfg;
}

}  // namespace archon
