// Structured logging: one JSON object per line on stderr (spdlog underneath for a thread-safe
// sink). Callers pass fields as a JSON object; values are escaped by the serializer, so control
// characters in client-supplied strings cannot forge lines. Never pass secrets.
#pragma once
#include <string_view>

#include <boost/json/object.hpp>

namespace archon::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// Call once at start-up, before any thread logs. `level` is a config level name.
void init(std::string_view level);
bool enabled(Level level) noexcept;
// Writes {"ts":..., "level":..., "msg": msg, ...fields}.
void write(Level level, std::string_view msg, boost::json::object fields = {});

inline void info(std::string_view msg, boost::json::object fields = {}) { write(Level::kInfo, msg, std::move(fields)); }
inline void warn(std::string_view msg, boost::json::object fields = {}) { write(Level::kWarn, msg, std::move(fields)); }
inline void error(std::string_view msg, boost::json::object fields = {}) { write(Level::kError, msg, std::move(fields)); }

}  // namespace archon::log
