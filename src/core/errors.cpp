#include "core/errors.hpp"

#include <cctype>

namespace archon {
namespace {
struct Info {
  std::string_view name;
  unsigned status;
  std::string_view message;
};
constexpr Info kInfo[] = {
#define ARCHON_X(name, str, status, msg) {str, status, msg},
    ARCHON_ERROR_CODES(ARCHON_X)
#undef ARCHON_X
};
const Info& info(ErrorCode c) { return kInfo[static_cast<std::size_t>(c)]; }
}  // namespace

std::string_view error_code_name(ErrorCode code) noexcept { return info(code).name; }
unsigned error_http_status(ErrorCode code) noexcept { return info(code).status; }
std::string_view error_default_message(ErrorCode code) noexcept { return info(code).message; }

std::string error_documentation_url(ErrorCode code) {
  std::string url = "https://docs.archon.ai/errors/";
  for (char c : info(code).name) url += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return url;
}

ApiError ApiError::make(ErrorCode code, boost::json::object details) {
  return ApiError{code, std::string(error_default_message(code)), std::move(details)};
}
ApiError ApiError::make(ErrorCode code, std::string message, boost::json::object details) {
  return ApiError{code, std::move(message), std::move(details)};
}

}  // namespace archon
