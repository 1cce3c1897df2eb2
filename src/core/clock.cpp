#include "core/clock.hpp"

#include <cstdio>
#include <ctime>

namespace archon::clock {
namespace {
std::tm utc(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}
}  // namespace

namespace {
// Fixed-width digits by hand: snprintf was ~3% of a GET /users/me (three timestamps each).
void put_digits(char* at, int value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}
}  // namespace

std::string iso8601_utc(SystemTime t) {
  std::tm tm = utc(std::chrono::system_clock::to_time_t(t));
  int year = tm.tm_year + 1900;
  if (year < 0 || year > 9999) {  // outside what four digits hold: the general path
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                  tm.tm_min, tm.tm_sec);
    return buf;
  }
  std::string out = "0000-00-00T00:00:00Z";
  put_digits(out.data(), year, 4);
  put_digits(out.data() + 5, tm.tm_mon + 1, 2);
  put_digits(out.data() + 8, tm.tm_mday, 2);
  put_digits(out.data() + 11, tm.tm_hour, 2);
  put_digits(out.data() + 14, tm.tm_min, 2);
  put_digits(out.data() + 17, tm.tm_sec, 2);
  return out;
}

std::string iso8601_utc_millis(SystemTime t) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
  std::tm tm = utc(std::chrono::system_clock::to_time_t(secs));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

const std::string& now_iso8601_utc() {
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached;
  auto now = std::chrono::system_clock::now();
  std::time_t s = std::chrono::system_clock::to_time_t(now);
  if (s != cached_second) {
    cached = iso8601_utc(now);
    cached_second = s;
  }
  return cached;
}

std::optional<std::int64_t> parse_iso8601_utc(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  if (text.size() < 20 || text.back() != 'Z') return std::nullopt;
  auto digits = [&](std::size_t at, std::size_t n, int& out) {
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!digits(0, 4, y) || text[4] != '-' || !digits(5, 2, mo) || text[7] != '-' || !digits(8, 2, d) ||
      (text[10] != 'T' && text[10] != 't') || !digits(11, 2, h) || text[13] != ':' || !digits(14, 2, mi) ||
      text[16] != ':' || !digits(17, 2, s))
    return std::nullopt;
  std::string_view rest = text.substr(19, text.size() - 20);
  if (!rest.empty()) {
    if (rest.front() != '.' || rest.size() < 2 || rest.size() > 10) return std::nullopt;
    for (char c : rest.substr(1))
      if (c < '0' || c > '9') return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  return sys_days(ymd).time_since_epoch().count() * 86400LL + h * 3600 + mi * 60 + s;
}

}  // namespace archon::clock
