// API versioning per the spec: /api/v2 is canonical, /api/... with Accept-Version or
// API-Version reaches v2, v1 is past its sunset (2025-12-31). Pure function; thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/errors.hpp"
#include "core/expected.hpp"
#include "http/types.hpp"

namespace archon::http {

inline constexpr std::string_view kSunsetV1 = "Wed, 31 Dec 2025 23:59:59 GMT";

struct VersionedPath {
  std::string path;        // the path to route (unversioned /api/... rewritten to /api/v2/...)
  bool is_api = false;     // under /api: the response carries API-Version
};

// Errors: API_VERSION_SUNSET (410) or API_VERSION_UNSUPPORTED (400).
Expected<VersionedPath, ApiError> resolve_api_version(std::string_view path, const Request& request);

}  // namespace archon::http
