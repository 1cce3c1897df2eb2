#include "http/cors.hpp"

namespace archon::http {
namespace {
std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}
}  // namespace

CorsPolicy::CorsPolicy(const CorsConfig& config)
    : origins_(config.allow_origins.begin(), config.allow_origins.end()),
      methods_(config.allow_methods.begin(), config.allow_methods.end()),
      allow_methods_(join(config.allow_methods)),
      allow_headers_(join(config.allow_headers)),
      expose_headers_(join(config.expose_headers)),
      max_age_(std::to_string(config.max_age.count())) {}

bool CorsPolicy::origin_allowed(std::string_view origin) const {
  // Byte-exact: "https://app.archon.ai.evil.com", "http://app.archon.ai" and "null" never match.
  return !origin.empty() && origins_.count(std::string(origin)) > 0;
}

bool CorsPolicy::method_allowed(std::string_view method) const { return methods_.count(std::string(method)) > 0; }

void CorsPolicy::apply_to_response(std::string_view origin, Response& res) const {
  res.set(bhttp::field::access_control_allow_origin, origin);
  res.set(bhttp::field::access_control_allow_credentials, "true");
  if (!expose_headers_.empty()) res.set(bhttp::field::access_control_expose_headers, expose_headers_);
}

void CorsPolicy::apply_to_preflight(std::string_view origin, Response& res) const {
  res.set(bhttp::field::access_control_allow_origin, origin);
  res.set(bhttp::field::access_control_allow_credentials, "true");
  res.set(bhttp::field::access_control_allow_methods, allow_methods_);
  res.set(bhttp::field::access_control_allow_headers, allow_headers_);
  res.set(bhttp::field::access_control_max_age, max_age_);
}

}  // namespace archon::http
