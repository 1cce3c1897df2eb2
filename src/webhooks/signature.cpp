#include "webhooks/signature.hpp"

#include <array>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace archon::webhooks {
namespace {

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Expected<std::string, std::string> unbase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return Unexpected{std::string("not base64")};
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return Unexpected{std::string("not base64")};
  std::size_t pad = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;  // DecodeBlock keeps padding bytes
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

}  // namespace

std::string new_signing_secret() {
  std::array<unsigned char, 32> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  return std::string(kSecretPrefix) + base64(raw.data(), raw.size());
}

Expected<std::string, std::string> sign(std::string_view secret, std::string_view message_id, std::int64_t timestamp,
                                        std::string_view body) {
  if (!secret.starts_with(kSecretPrefix)) return Unexpected{std::string("secret must start with whsec_")};
  auto key = unbase64(secret.substr(kSecretPrefix.size()));
  if (!key) return Unexpected{"secret: " + key.error()};
  std::string signed_content;
  signed_content.reserve(message_id.size() + body.size() + 24);
  signed_content.append(message_id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (!HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
            reinterpret_cast<const unsigned char*>(signed_content.data()), signed_content.size(), mac, &mac_size))
    return Unexpected{std::string("HMAC failed")};
  return "v1," + base64(mac, mac_size);
}

}  // namespace archon::webhooks
