// Internal OpenSSL plumbing shared by signing_key.cpp and verification_key.cpp: RAII owners for
// the OpenSSL objects both use and a guard that empties the thread's OpenSSL error queue.
// Stateless: safe to use from any number of threads at once (the error queue is per thread).
#pragma once
#include <cstddef>
#include <memory>

#include <openssl/ec.h>  // ECDSA_SIG (not declared in <openssl/types.h>)
#include <openssl/types.h>

namespace archon::crypto::detail {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const noexcept;
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const noexcept;
};
struct BignumDeleter {
  void operator()(BIGNUM* bn) const noexcept;
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const noexcept;
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumDeleter>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;

// Leaves the thread's OpenSSL error queue empty on every exit, so that a failure here is never
// reported later by unrelated code (TLS) that happens to run on the same thread.
struct ErrorQueueGuard {
  ErrorQueueGuard() = default;
  ErrorQueueGuard(const ErrorQueueGuard&) = delete;
  ErrorQueueGuard& operator=(const ErrorQueueGuard&) = delete;
  ~ErrorQueueGuard();
};

// Width of a P-256 coordinate, and of r and s in an ES256 signature (RFC 7518 §3.4, §6.2.1.2).
inline constexpr std::size_t kEs256CoordinateBytes = 32;

}  // namespace archon::crypto::detail
