// Every repository the token service needs, as one object per backend.
#pragma once
#include "store/revocation_repository.hpp"
#include "store/service_client_repository.hpp"
#include "store/signing_key_repository.hpp"

namespace archon::store {

class TokenStore : public SigningKeyRepository, public RevocationRepository, public ServiceClientRepository {};

}  // namespace archon::store
