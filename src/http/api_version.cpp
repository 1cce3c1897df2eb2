#include "http/api_version.hpp"

#include <boost/json/array.hpp>

namespace archon::http {
namespace {

enum class Version { kNone, kV1, kV2, kOther };

Version parse_header_version(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return Version::kNone;
  if (v == "2" || v == "2.0") return Version::kV2;
  if (v == "1" || v == "1.0") return Version::kV1;
  return Version::kOther;
}

ApiError sunset() {
  return ApiError::make(ErrorCode::kApiVersionSunset,
                        {{"sunset_date", "2025-12-31"}, {"current_version", "2.0"}, {"migrate_to", "/api/v2"}});
}
ApiError unsupported() {
  return ApiError::make(ErrorCode::kApiVersionUnsupported, {{"supported", boost::json::array{"2.0"}}});
}

bool is_version_segment(std::string_view seg) {
  if (seg.size() < 2 || seg[0] != 'v') return false;
  for (std::size_t i = 1; i < seg.size(); ++i)
    if (seg[i] < '0' || seg[i] > '9') return false;
  return true;
}

}  // namespace

Expected<VersionedPath, ApiError> resolve_api_version(std::string_view path, const Request& request) {
  constexpr std::string_view kApi = "/api";
  if (path.substr(0, kApi.size()) != kApi || (path.size() > kApi.size() && path[kApi.size()] != '/'))
    return VersionedPath{std::string(path), false};

  std::string_view rest = path.substr(kApi.size());  // "" or "/..."
  std::string_view first = rest.empty() ? rest : rest.substr(1, rest.find('/', 1) == std::string_view::npos
                                                                     ? std::string_view::npos
                                                                     : rest.find('/', 1) - 1);
  if (is_version_segment(first)) {
    if (first == "v2") return VersionedPath{std::string(path), true};
    if (first == "v1") return Unexpected{sunset()};
    return Unexpected{unsupported()};
  }

  Version a = Version::kNone, b = Version::kNone;
  if (auto it = request.find("Accept-Version"); it != request.end()) a = parse_header_version(it->value());
  if (auto it = request.find("API-Version"); it != request.end()) b = parse_header_version(it->value());
  if (a != Version::kNone && b != Version::kNone && a != b) return Unexpected{unsupported()};
  Version v = a != Version::kNone ? a : b;
  if (v == Version::kV1) return Unexpected{sunset()};
  if (v == Version::kOther) return Unexpected{unsupported()};
  return VersionedPath{"/api/v2" + std::string(rest), true};  // no header: the current version
}

}  // namespace archon::http
