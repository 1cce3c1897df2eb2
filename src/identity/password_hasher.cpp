#include "identity/password_hasher.hpp"

#include <crypt.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace archon::identity {
namespace {

constexpr std::string_view kArgon2idPrefix = "$argon2id$";
constexpr std::size_t kBcryptMaxPasswordBytes = 72;

bool starts_with_bcrypt_prefix(std::string_view stored) {
  return stored.starts_with("$2b$") || stored.starts_with("$2a$") || stored.starts_with("$2y$");
}

// libsodium takes (pointer, length); a default-constructed string_view has a null pointer.
const char* bytes_of(std::string_view password) { return password.empty() ? "" : password.data(); }

bool argon2id_verify(std::string_view password, const std::string& stored) {
  // libsodium reads `stored` as a C string: an embedded NUL would make it check a prefix.
  if (stored.size() >= crypto_pwhash_STRBYTES || stored.find('\0') != std::string::npos) return false;
  return crypto_pwhash_str_verify(stored.c_str(), bytes_of(password), password.size()) == 0;
}

bool bcrypt_verify(std::string_view password, const std::string& stored) {
  // bcrypt reads the password as a C string and uses only its first 72 bytes. Handing it such a
  // password would shorten it silently: "secret\0anything" would match the hash of "secret", and
  // two passphrases sharing their first 72 bytes would match each other. Passwords here are never
  // truncated, so these simply do not match a bcrypt hash (the owner can reset the password,
  // which stores Argon2id). The refusal still spends a bcrypt computation, on an empty password,
  // so that its timing does not differ from a wrong password's.
  const bool refused =
      password.size() > kBcryptMaxPasswordBytes || password.find('\0') != std::string_view::npos;
  if (stored.find('\0') != std::string::npos) return false;

  std::string password_c_string(refused ? std::string_view{} : password);
  // Heap, not stack: struct crypt_data is about 32 KiB. Zero-initialised, as crypt_r requires.
  auto scratch = std::make_unique<crypt_data>();
  const char* computed = crypt_r(password_c_string.c_str(), stored.c_str(), scratch.get());
  // libxcrypt answers a malformed setting with a failure token starting with '*' (or null).
  const bool ok = !refused && computed != nullptr && computed[0] != '*' && std::strlen(computed) == stored.size() &&
                  sodium_memcmp(computed, stored.data(), stored.size()) == 0;
  // Neither copy of the secret outlives the call (crypt_data holds the derived key schedule).
  sodium_memzero(scratch.get(), sizeof(crypt_data));
  sodium_memzero(password_c_string.data(), password_c_string.size());
  return ok;
}

}  // namespace

PasswordHasher::PasswordHasher(Argon2Params params) : params_(params) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  if (params_.memory_bytes < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      params_.memory_bytes > crypto_pwhash_argon2id_MEMLIMIT_MAX)
    throw std::invalid_argument("Argon2id memory must be between 8 KiB and 4 TiB");
  if (params_.iterations < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      params_.iterations > crypto_pwhash_argon2id_OPSLIMIT_MAX)
    throw std::invalid_argument("Argon2id iterations must be between 1 and 2^32-1");

  // The dummy's password is random and thrown away: nothing can ever verify against it.
  std::array<unsigned char, 32> random_password{};
  randombytes_buf(random_password.data(), random_password.size());
  dummy_hash_ = hash(std::string_view(reinterpret_cast<const char*>(random_password.data()), random_password.size()));
}

std::string PasswordHasher::hash(std::string_view password) const {
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), bytes_of(password), password.size(), params_.iterations,
                            params_.memory_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("Argon2id hashing failed (out of memory)");
  return std::string(out.data());
}

VerifyResult PasswordHasher::verify(std::string_view password, const std::string& stored) const {
  if (stored.starts_with(kArgon2idPrefix)) {
    if (!argon2id_verify(password, stored)) return {};
    // 1: other parameters than ours; -1: unparsable (cannot happen after a successful verify).
    const bool outdated =
        crypto_pwhash_str_needs_rehash(stored.c_str(), params_.iterations, params_.memory_bytes) != 0;
    return {.ok = true, .needs_rehash = outdated};
  }
  if (starts_with_bcrypt_prefix(stored)) {
    if (!bcrypt_verify(password, stored)) return {};
    return {.ok = true, .needs_rehash = true};  // imported hashes move to Argon2id at next login
  }
  return {};
}

void PasswordHasher::verify_dummy(std::string_view password) const {
  // The result is meaningless (the dummy's password is unknown) but the work is the same.
  (void)argon2id_verify(password, dummy_hash_);
}

}  // namespace archon::identity
