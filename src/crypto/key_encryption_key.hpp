// The key-encryption key (KEK) that seals signing keys at rest: XChaCha20-Poly1305 (libsodium)
// with associated data binding each ciphertext to its row. Read from ARCHON_AUTH_KEK (base64url
// of 32 bytes) or from a file created 0600 on first start. Immutable; thread-safe.
#pragma once
#include <array>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace archon::crypto {

class KeyEncryptionKey {
 public:
  static constexpr std::size_t kSize = 32;

  // The environment variable wins; otherwise `file` is read, or created with a fresh random key
  // (mode 0600) if missing. Throws std::runtime_error with an operator-readable message.
  static KeyEncryptionKey load_or_create(const std::string& file, const char* env_value);
  // For tests.
  static KeyEncryptionKey from_bytes(const std::array<unsigned char, kSize>& bytes);

  KeyEncryptionKey(const KeyEncryptionKey&) = delete;
  KeyEncryptionKey& operator=(const KeyEncryptionKey&) = delete;
  KeyEncryptionKey(KeyEncryptionKey&&) noexcept;
  ~KeyEncryptionKey();

  // nonce (24 bytes) || ciphertext || tag.
  std::string seal(std::string_view plaintext, std::string_view associated_data) const;
  // Fails on a wrong key, a tampered ciphertext or different associated data.
  Expected<std::string, std::string> open(std::string_view sealed, std::string_view associated_data) const;

 private:
  KeyEncryptionKey() = default;
  std::array<unsigned char, kSize> key_{};
};

}  // namespace archon::crypto
