#include "crypto/openssl_support.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>

namespace archon::crypto::detail {

void MdCtxDeleter::operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
void PkeyCtxDeleter::operator()(EVP_PKEY_CTX* ctx) const noexcept { EVP_PKEY_CTX_free(ctx); }
void BignumDeleter::operator()(BIGNUM* bn) const noexcept { BN_free(bn); }
void EcdsaSigDeleter::operator()(ECDSA_SIG* sig) const noexcept { ECDSA_SIG_free(sig); }

ErrorQueueGuard::~ErrorQueueGuard() { ERR_clear_error(); }

}  // namespace archon::crypto::detail
