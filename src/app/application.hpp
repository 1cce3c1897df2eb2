// Wires the configured components together and runs the server until a signal: the
// composition root. Only main() and tests construct it.
#pragma once
#include "core/config.hpp"

namespace archon::app {

// Runs `archon-auth serve` with a fully resolved config. Returns the process exit code.
int serve(const Config& config);

// Prints the route table as JSON (for `archon-auth routes` and the OpenAPI coverage test).
void print_routes();

}  // namespace archon::app
