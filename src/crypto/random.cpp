#include "crypto/random.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/base64url.hpp"

namespace archon::crypto {

std::string random_token(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return base64url_encode(raw);
}

std::string time_ordered_id(std::int64_t unix_millis) {
  unsigned char raw[16];
  const auto millis = static_cast<std::uint64_t>(unix_millis < 0 ? 0 : unix_millis);
  for (int i = 0; i < 6; ++i) raw[i] = static_cast<unsigned char>(millis >> (8 * (5 - i)));
  if (RAND_bytes(raw + 6, 10) != 1) throw std::runtime_error("RAND_bytes failed");
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

namespace {
std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0x0F];
  }
  return out;
}
}  // namespace

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (bytes && RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string time_ordered_hex_id(std::int64_t unix_millis) {
  unsigned char raw[16];
  const auto millis = static_cast<std::uint64_t>(unix_millis < 0 ? 0 : unix_millis);
  for (int i = 0; i < 6; ++i) raw[i] = static_cast<unsigned char>(millis >> (8 * (5 - i)));
  if (RAND_bytes(raw + 6, 10) != 1) throw std::runtime_error("RAND_bytes failed");
  return hex(raw, sizeof raw);
}

std::string sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fetched once: OpenSSL 3 looks an implicitly fetched algorithm up (locks, a hash table) on
  // every call, which was half the cost of hashing a token.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!kSha256 || EVP_Digest(data.data(), data.size(), md, &len, kSha256, nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return std::string(reinterpret_cast<const char*>(md), len);
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace archon::crypto
