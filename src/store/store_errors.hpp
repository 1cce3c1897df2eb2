// Errors every store backend shares. StoreUnavailable means the database could not be reached
// or did not answer in time: the operation did not happen (or its outcome is unknown) and may
// succeed later, so the HTTP layer answers 503 SYSTEM_DATABASE_ERROR instead of 500.
#pragma once
#include <stdexcept>

#include "core/errors.hpp"

namespace archon::store {

struct StoreUnavailable : TransientFailure {
  using TransientFailure::TransientFailure;
};

// An administrative change to a user would have left no active user with the admin role while
// there was one before: the transaction is rolled back, nothing is written (HTTP 409).
struct LastAdminRemoval : std::runtime_error {
  LastAdminRemoval() : std::runtime_error("the last active administrator cannot be removed") {}
};

}  // namespace archon::store
