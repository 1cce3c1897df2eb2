// The Standard Webhooks wire format (standardwebhooks.com): a secret "whsec_" + base64 of 32
// random bytes, and the signature "v1," + base64(HMAC-SHA256(secret, id "." timestamp "." body)).
// Receivers verify with the standardwebhooks libraries. Pure functions; thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace archon::webhooks {

inline constexpr std::string_view kSecretPrefix = "whsec_";

// A fresh signing secret from the CSPRNG.
std::string new_signing_secret();
// "v1,<base64>" for one secret; the error when the secret is not "whsec_" + base64.
Expected<std::string, std::string> sign(std::string_view secret, std::string_view message_id, std::int64_t timestamp,
                                        std::string_view body);

}  // namespace archon::webhooks
