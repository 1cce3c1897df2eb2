// Files compiled into the binary by scripts/embed_assets.py: the OpenAPI document (JSON),
// Swagger UI and the SQL migrations. Read-only static data; thread-safe.
#pragma once
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace archon::assets {
// "openapi.json", "docs/index.html", "migrations/sqlite/0001_signing_keys.sql", ...
std::optional<std::string_view> find(std::string_view name);
// Every asset whose name starts with `prefix`, in build order (migrations: by number).
std::vector<std::pair<std::string_view, std::string_view>> list(std::string_view prefix);
}  // namespace archon::assets
