#include "core/request_id.hpp"

#include <random>

namespace archon {

bool is_acceptable_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (unsigned char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string generate_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "req_";
  id.reserve(4 + 24);
  std::uint64_t a = rng(), b = rng();
  for (int i = 0; i < 16; ++i, a >>= 4) id += kHex[a & 0xF];
  for (int i = 0; i < 8; ++i, b >>= 4) id += kHex[b & 0xF];
  return id;
}

}  // namespace archon
