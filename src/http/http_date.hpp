// The Date header's value (RFC 9110 §5.6.7 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"),
// which every response carries (RFC 9110 §6.6.1). Formatted by hand: strftime's %a and %b
// follow the process locale.
#pragma once
#include <ctime>
#include <string>

namespace archon::http {

// IMF-fixdate of a UTC time.
std::string format_http_date(std::time_t t);

// The current second's IMF-fixdate, formatted at most once a second per thread.
const std::string& http_date_now();

}  // namespace archon::http
