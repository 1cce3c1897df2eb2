#include "apikeys/api_key_format.hpp"

#include <array>
#include <stdexcept>

#include <openssl/rand.h>

namespace archon::apikeys {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}
constexpr auto kCrcTable = make_crc_table();

bool is_base62(char c) noexcept { return kAlphabet.find(c) != std::string_view::npos; }

}  // namespace

std::uint32_t crc32(std::string_view data) noexcept {
  std::uint32_t c = 0xFFFFFFFFu;
  for (char ch : data) c = kCrcTable[(c ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string base62_fixed(std::uint32_t value, std::size_t width) {
  std::string out(width, '0');
  for (std::size_t i = width; i-- > 0 && value;) {
    out[i] = kAlphabet[value % 62];
    value /= 62;
  }
  return out;
}

std::string generate_api_key() {
  std::string key(kKeyPrefix);
  // Rejection sampling keeps the characters uniform: 248 = 4 * 62, so bytes 248..255 are redrawn.
  while (key.size() < kKeyPrefix.size() + kRandomChars) {
    std::array<unsigned char, 64> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw std::runtime_error("RAND_bytes failed");
    for (unsigned char b : bytes)
      if (b < 248 && key.size() < kKeyPrefix.size() + kRandomChars) key += kAlphabet[b % 62];
  }
  key += base62_fixed(crc32(key), kChecksumChars);
  return key;
}

bool is_well_formed_api_key(std::string_view key) noexcept {
  if (key.size() != kKeyLength || key.substr(0, kKeyPrefix.size()) != kKeyPrefix) return false;
  for (char c : key.substr(kKeyPrefix.size()))
    if (!is_base62(c)) return false;
  std::string_view body = key.substr(0, kKeyLength - kChecksumChars);
  return base62_fixed(crc32(body), kChecksumChars) == key.substr(kKeyLength - kChecksumChars);
}

}  // namespace archon::apikeys
