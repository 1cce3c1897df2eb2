#include "crypto/key_encryption_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <sodium.h>

#include "crypto/base64url.hpp"

namespace archon::crypto {
namespace {

void ensure_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::array<unsigned char, KeyEncryptionKey::kSize> decode_kek(std::string_view text, const std::string& origin) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  auto bytes = base64url_decode(text);
  if (!bytes || bytes->size() != KeyEncryptionKey::kSize)
    throw std::runtime_error(origin + ": must be the base64url encoding of exactly 32 bytes");
  std::array<unsigned char, KeyEncryptionKey::kSize> out{};
  std::memcpy(out.data(), bytes->data(), out.size());
  sodium_memzero(bytes->data(), bytes->size());
  return out;
}

}  // namespace

KeyEncryptionKey::KeyEncryptionKey(KeyEncryptionKey&& other) noexcept : key_(other.key_) {
  sodium_memzero(other.key_.data(), other.key_.size());
}

KeyEncryptionKey::~KeyEncryptionKey() { sodium_memzero(key_.data(), key_.size()); }

KeyEncryptionKey KeyEncryptionKey::from_bytes(const std::array<unsigned char, kSize>& bytes) {
  ensure_sodium();
  KeyEncryptionKey k;
  k.key_ = bytes;
  return k;
}

KeyEncryptionKey KeyEncryptionKey::load_or_create(const std::string& file, const char* env_value) {
  ensure_sodium();
  KeyEncryptionKey k;
  if (env_value && *env_value) {
    k.key_ = decode_kek(env_value, "ARCHON_AUTH_KEK");
    return k;
  }
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    // First start: a fresh key, written whole and synced before any key is sealed under it.
    randombytes_buf(k.key_.data(), k.key_.size());
    std::string text = base64url_encode(std::string_view(reinterpret_cast<const char*>(k.key_.data()), kSize)) + "\n";
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    sodium_memzero(text.data(), text.size());
    if (!ok) {
      ::unlink(file.c_str());
      throw std::runtime_error("cannot write the key-encryption key " + file);
    }
    return k;
  }
  if (errno != EEXIST) throw std::runtime_error("cannot create " + file + ": " + std::strerror(errno));
  struct stat st{};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    throw std::runtime_error(file + ": must not be readable by group or others (chmod 600)");
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read the key-encryption key " + file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  k.key_ = decode_kek(text, file);
  sodium_memzero(text.data(), text.size());
  return k;
}

std::string KeyEncryptionKey::seal(std::string_view plaintext, std::string_view ad) const {
  std::string out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plaintext.size() +
                      crypto_aead_xchacha20poly1305_ietf_ABYTES,
                  '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen,
                                             reinterpret_cast<const unsigned char*>(plaintext.data()),
                                             plaintext.size(), reinterpret_cast<const unsigned char*>(ad.data()),
                                             ad.size(), nullptr, nonce, key_.data());
  out.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + clen);
  return out;
}

Expected<std::string, std::string> KeyEncryptionKey::open(std::string_view sealed, std::string_view ad) const {
  constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (sealed.size() < kNonce + crypto_aead_xchacha20poly1305_ietf_ABYTES)
    return Unexpected{std::string("sealed key is truncated")};
  std::string out(sealed.size() - kNonce - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long mlen = 0;
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(out.data()), &mlen, nullptr,
                                                 nonce + kNonce, sealed.size() - kNonce,
                                                 reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
                                                 nonce, key_.data()) != 0)
    return Unexpected{std::string("sealed key does not open under this key-encryption key")};
  out.resize(mlen);
  return out;
}

}  // namespace archon::crypto
