#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace archon::clock {
namespace {

SystemTime at(std::int64_t epoch_seconds) { return SystemTime(std::chrono::seconds(epoch_seconds)); }

TEST(Clock, FormatsUtcInTheSpecsIso8601Form) {
  EXPECT_EQ(iso8601_utc(at(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(iso8601_utc(at(1735689600)), "2025-01-01T00:00:00Z");
  EXPECT_EQ(iso8601_utc(at(1795434245)), "2026-11-23T11:44:05Z");
  EXPECT_EQ(iso8601_utc(at(951782400)), "2000-02-29T00:00:00Z");
  EXPECT_EQ(iso8601_utc(at(-1)), "1969-12-31T23:59:59Z");
  EXPECT_EQ(iso8601_utc(at(9000000000)), "2255-03-14T16:00:00Z");  // near system_clock's end (2262)
}

TEST(Clock, NowIsTheCurrentSecond) {
  auto before = iso8601_utc(std::chrono::system_clock::now());
  auto now = now_iso8601_utc();
  auto after = iso8601_utc(std::chrono::system_clock::now());
  EXPECT_TRUE(now == before || now == after) << now;
}

}  // namespace
TEST(Clock, ParsesTheApisOwnTimesAndNothingElse) {
  EXPECT_EQ(parse_iso8601_utc("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601_utc("2026-12-07T10:00:00Z"), 1796637600);
  EXPECT_EQ(parse_iso8601_utc("2026-12-07T10:00:00.123Z"), 1796637600);
  auto now = std::chrono::system_clock::now();
  EXPECT_EQ(parse_iso8601_utc(iso8601_utc(now)), std::chrono::system_clock::to_time_t(now));
  for (const char* bad : {"", "2026-12-07", "2026-12-07T10:00:00", "2026-12-07T10:00:00+01:00", "2026-02-30T00:00:00Z",
                          "2026-13-01T00:00:00Z", "2026-12-07T24:00:00Z", "2026-12-07 10:00:00Z", "2026-12-07T10:00:00.Z",
                          "x026-12-07T10:00:00Z"})
    EXPECT_FALSE(parse_iso8601_utc(bad).has_value()) << bad;
}

}  // namespace archon::clock
