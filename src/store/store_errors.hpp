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

// A change the caller's check refused once it saw the change's effect (for example one that
// would leave no active administrator): the transaction is rolled back, nothing is written.
struct ChangeRefused : std::runtime_error {
  ChangeRefused() : std::runtime_error("the change was refused by its check and rolled back") {}
};

}  // namespace archon::store
