// Which rate-limit tier of the spec's rate_limits block guards each route, in one table
// (docs/rate-limits.md lists the same). Every route must have an entry: a new route that
// forgets to choose fails at start-up instead of going unlimited by accident.
#pragma once
#include "http/router.hpp"

namespace archon::api {

// Throws std::logic_error naming a route without an entry.
void assign_rate_limit_tiers(http::Router& router);

}  // namespace archon::api
