#include "net/curl_global.hpp"

#include <mutex>
#include <stdexcept>

#include <curl/curl.h>

namespace archon::net {

void ensure_curl_initialized() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) throw std::runtime_error(std::string("libcurl: ") + curl_easy_strerror(result));
}

}  // namespace archon::net
