// Files compiled into the binary by scripts/embed_assets.py: the OpenAPI document (JSON) and
// Swagger UI. Read-only static data; thread-safe.
#pragma once
#include <optional>
#include <string_view>

namespace archon::assets {
// "openapi.json", "docs/index.html", "docs/swagger-ui.css", ...
std::optional<std::string_view> find(std::string_view name);
}  // namespace archon::assets
