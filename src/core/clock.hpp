// Wall-clock formatting used in envelopes, logs and HTTP dates, and a monotonic reading for
// timers kept in atomics. Thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace archon::clock {

using SystemTime = std::chrono::system_clock::time_point;

// "2026-11-23T10:00:00Z" (seconds precision, UTC), as the spec's envelope shows.
std::string iso8601_utc(SystemTime t);
// "2026-11-23T10:00:00.123Z", for logs.
std::string iso8601_utc_millis(SystemTime t);
// "2026-11-23T10:00:00Z" or "...:00.123Z" (UTC only, as the API writes times) to epoch
// seconds; nullopt for anything else.
std::optional<std::int64_t> parse_iso8601_utc(std::string_view text);
// The current time as iso8601_utc(now), cached per thread for the current second:
// every envelope needs it and formatting dominates a cheap request otherwise.
const std::string& now_iso8601_utc();

// steady_clock's now in nanoseconds: a plain integer, so it fits a std::atomic<int64_t>
// (back-off deadlines shared between threads).
inline std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace archon::clock
