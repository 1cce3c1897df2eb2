// Password hashing: Argon2id (identity/argon2id.hpp) for new hashes; verifies Argon2id and
// imported bcrypt.
// CPU-heavy, so run it on the HashingPool; immutable after construction, hence thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "identity/argon2id.hpp"

namespace archon::identity {

struct Argon2Params {
  // OWASP's Argon2id recommendation: m=19 MiB, t=2, p=1 (new hashes always use p=1).
  std::size_t memory_bytes = 19 * 1024 * 1024;
  std::uint64_t iterations = 2;
};

struct VerifyResult {
  bool ok = false;
  // The password was right but the stored hash is bcrypt or Argon2id with other parameters:
  // store hash(password) in its place.
  bool needs_rehash = false;
};

class PasswordHasher {
 public:
  // Throws std::invalid_argument for parameters outside Argon2's limits (memory below 8 KiB,
  // zero iterations). Makes one hash for verify_dummy(), so it costs one hash.
  explicit PasswordHasher(Argon2Params params = {});

  // A PHC string "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" with a fresh random salt. The
  // password is any bytes (NUL included), used whole. Throws std::runtime_error when the memory
  // for Argon2 cannot be had.
  std::string hash(std::string_view password) const;

  // Argon2id ("$argon2id$") and bcrypt ("$2b$", "$2a$", "$2y$"); anything else, or a malformed
  // hash, is ok=false. Never throws for bad input.
  VerifyResult verify(std::string_view password, const std::string& stored) const;

  // Spends the work of a real Argon2id verify with the current parameters and returns nothing,
  // so that a login for an unknown email takes as long as a wrong password.
  void verify_dummy(std::string_view password) const;

  const Argon2Params& params() const { return params_; }

 private:
  Argon2Params params_;
  argon2id::Cost cost_;
  std::string dummy_hash_;
};

}  // namespace archon::identity
