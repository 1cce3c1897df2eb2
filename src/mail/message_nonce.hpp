// The random part of a Message-ID; a CSPRNG failure becomes a delivery error (Mailers never throw).
#pragma once
#include <exception>
#include <string>

#include "core/expected.hpp"
#include "crypto/random.hpp"

namespace archon::mail {

inline Expected<std::string, std::string> message_nonce() {
  try {
    return crypto::random_hex(8);
  } catch (const std::exception& e) {
    return Unexpected{std::string(e.what())};
  }
}

}  // namespace archon::mail
