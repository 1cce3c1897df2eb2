#include "identity/password_hasher.hpp"

#include <crypt.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>

#include "identity/argon2id.hpp"

namespace archon::identity {
namespace {

constexpr std::string_view kArgon2idPrefix = "$argon2id$";
constexpr std::size_t kBcryptMaxPasswordBytes = 72;

bool starts_with_bcrypt_prefix(std::string_view stored) {
  return stored.starts_with("$2b$") || stored.starts_with("$2a$") || stored.starts_with("$2y$");
}

argon2id::Cost cost_from(const Argon2Params& params) {
  const std::size_t kib = params.memory_bytes / 1024;  // as libsodium's memlimit: whole KiB
  if (kib > std::numeric_limits<std::uint32_t>::max() || params.iterations > std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("Argon2id parameters out of range");
  argon2id::Cost cost{.memory_kib = static_cast<std::uint32_t>(kib),
                      .iterations = static_cast<std::uint32_t>(params.iterations), .lanes = 1};
  argon2id::check_cost(cost);
  return cost;
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

PasswordHasher::PasswordHasher(Argon2Params params) : params_(params), cost_(cost_from(params)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");

  // The dummy's password is random and thrown away: nothing can ever verify against it.
  std::array<unsigned char, 32> random_password{};
  randombytes_buf(random_password.data(), random_password.size());
  dummy_hash_ = hash(std::string_view(reinterpret_cast<const char*>(random_password.data()), random_password.size()));
  // This thread (start-up, a CLI command) is not a hashing thread: do not keep the memory.
  argon2id::release_thread_memory();
}

std::string PasswordHasher::hash(std::string_view password) const { return argon2id::hash(password, cost_); }

VerifyResult PasswordHasher::verify(std::string_view password, const std::string& stored) const {
  if (stored.starts_with(kArgon2idPrefix)) {
    if (!argon2id::verify(password, stored)) return {};
    const bool outdated = argon2id::cost_of(stored) != cost_;
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
  (void)argon2id::verify(password, dummy_hash_);
}

}  // namespace archon::identity
