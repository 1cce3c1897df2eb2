// libcurl's process-wide initialisation, done once before the first handle (curl_global_init is
// not safe to race with other threads using curl on every build of the library).
#pragma once

namespace archon::net {

// Idempotent and thread-safe; throws std::runtime_error when libcurl cannot initialise.
void ensure_curl_initialized();

}  // namespace archon::net
