#include "core/config_sections.hpp"

#include "core/ip_networks.hpp"
#include "core/yaml_read.hpp"

namespace archon {
namespace {

using yaml::check_keys;
using yaml::read_bool;
using yaml::read_int;
using yaml::read_string;

std::optional<std::string> one_of(const YAML::Node& n, const std::string& path, std::initializer_list<const char*> allowed,
                                  std::string& out) {
  auto v = read_string(n, path);
  if (!v) return v.error();
  std::string list;
  for (const char* a : allowed) {
    if (*v == a) {
      out = *v;
      return std::nullopt;
    }
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return path + ": must be one of " + list;
}

std::optional<std::string> read_int_into(const YAML::Node& n, const std::string& path, std::int64_t min,
                                         std::int64_t max, int& out) {
  if (!n) return std::nullopt;
  auto v = read_int(n, path, min, max);
  if (!v) return v.error();
  out = static_cast<int>(*v);
  return std::nullopt;
}

std::optional<std::string> parse_smtp(const YAML::Node& n, SmtpConfig& c) {
  const std::string p = "mail.smtp";
  if (auto e = check_keys(n, p, {"host", "port", "security", "ca_file", "verify_certificate", "connect_timeout_seconds",
                                 "timeout_seconds"},
                          {"host"}))
    return e;
  auto host = read_string(n["host"], p + ".host");
  if (!host) return host.error();
  if (host->empty() || host->find_first_of(" /?#@\r\n") != std::string::npos) return p + ".host: must be a host name or IP address";
  c.host = *host;
  if (n["security"])
    if (auto e = one_of(n["security"], p + ".security", {"starttls", "tls", "none"}, c.security)) return e;
  if (n["ca_file"]) {
    auto v = read_string(n["ca_file"], p + ".ca_file");
    if (!v) return v.error();
    c.ca_file = *v;
  }
  if (n["verify_certificate"]) {
    auto v = read_bool(n["verify_certificate"], p + ".verify_certificate");
    if (!v) return v.error();
    c.verify_certificate = *v;
  }
  if (auto e = read_int_into(n["port"], p + ".port", 1, 65535, c.port)) return e;
  if (auto e = read_int_into(n["connect_timeout_seconds"], p + ".connect_timeout_seconds", 1, 300, c.connect_timeout_seconds))
    return e;
  if (auto e = read_int_into(n["timeout_seconds"], p + ".timeout_seconds", 1, 600, c.timeout_seconds)) return e;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> parse_mail(const YAML::Node& n, MailConfig& c) {
  if (auto e = check_keys(n, "mail", {"transport", "smtp"})) return e;
  if (n["transport"])
    if (auto e = one_of(n["transport"], "mail.transport", {"file", "smtp"}, c.transport)) return e;
  if (n["smtp"])
    if (auto e = parse_smtp(n["smtp"], c.smtp)) return e;
  if (c.transport == "smtp" && c.smtp.host.empty()) return std::string("mail.smtp.host: required with transport smtp");
  return std::nullopt;
}

std::optional<std::string> parse_webhooks(const YAML::Node& n, WebhooksConfig& c) {
  const std::string p = "webhooks";
  if (auto e = check_keys(n, p, {"retry_schedule_seconds", "connect_timeout_ms", "timeout_ms", "max_response_bytes",
                                 "allow_networks", "secret_rotation_grace_seconds"}))
    return e;
  if (const YAML::Node s = n["retry_schedule_seconds"]) {
    if (!s.IsSequence() || s.size() < 1 || s.size() > 20) return p + ".retry_schedule_seconds: must be a list of 1 to 20 waits";
    c.retry_schedule.clear();
    for (std::size_t i = 0; i < s.size(); ++i) {
      auto v = read_int(s[i], p + ".retry_schedule_seconds[" + std::to_string(i) + "]", 1, 7 * 86400);
      if (!v) return v.error();
      c.retry_schedule.emplace_back(*v);
    }
  }
  if (auto e = read_int_into(n["connect_timeout_ms"], p + ".connect_timeout_ms", 100, 60000, c.connect_timeout_ms)) return e;
  if (auto e = read_int_into(n["timeout_ms"], p + ".timeout_ms", 100, 120000, c.timeout_ms)) return e;
  if (n["max_response_bytes"]) {
    auto v = read_int(n["max_response_bytes"], p + ".max_response_bytes", 0, 1 << 20);
    if (!v) return v.error();
    c.max_response_bytes = static_cast<std::size_t>(*v);
  }
  if (n["allow_networks"]) {
    auto v = yaml::read_string_list(n["allow_networks"], p + ".allow_networks");
    if (!v) return v.error();
    if (auto nets = IpNetworks::parse(*v); !nets) return p + ".allow_networks: " + nets.error();
    c.allow_networks = *v;
  }
  if (n["secret_rotation_grace_seconds"]) {
    auto v = read_int(n["secret_rotation_grace_seconds"], p + ".secret_rotation_grace_seconds", 0, 30 * 86400);
    if (!v) return v.error();
    c.secret_rotation_grace = std::chrono::seconds(*v);
  }
  return std::nullopt;
}

}  // namespace archon
