#include "core/log.hpp"

#include <atomic>
#include <memory>

#include "core/json_writer.hpp"
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"

namespace archon::log {
namespace {
std::atomic<Level> g_level{Level::kInfo};
std::shared_ptr<spdlog::logger> g_logger;

const char* name(Level l) {
  switch (l) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "info";
}

spdlog::logger& logger() {
  // Tests may log without init(); a function-local static makes that safe.
  static std::shared_ptr<spdlog::logger> fallback = [] {
    auto l = std::make_shared<spdlog::logger>("archon", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return g_logger ? *g_logger : *fallback;
}
}  // namespace

void init(std::string_view level) {
  Level l = Level::kInfo;
  for (Level c : {Level::kTrace, Level::kDebug, Level::kInfo, Level::kWarn, Level::kError, Level::kOff})
    if (level == name(c)) l = c;
  g_level.store(l);
  auto lg = std::make_shared<spdlog::logger>("archon", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  lg->set_pattern("%v");
  lg->set_level(spdlog::level::trace);
  lg->flush_on(spdlog::level::trace);  // stderr lines must be whole and prompt for log shippers and tests
  g_logger = lg;
}

bool enabled(Level level) noexcept { return level >= g_level.load(std::memory_order_relaxed) && level != Level::kOff; }

void write(Level level, std::string_view msg, boost::json::object fields) {
  if (!enabled(level)) return;
  boost::json::object line;
  line.reserve(fields.size() + 3);
  line["ts"] = clock::iso8601_utc_millis(std::chrono::system_clock::now());
  line["level"] = name(level);
  line["msg"] = msg;
  for (auto& kv : fields) line[kv.key()] = std::move(kv.value());
  logger().info(json::write(line));
}

}  // namespace archon::log
