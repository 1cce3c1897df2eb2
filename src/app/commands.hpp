// Operator commands beside `serve`: migrations, key rotation, service clients, token minting.
// Each prints a readable result on stdout and returns a process exit code.
#pragma once
#include <string>
#include <vector>

#include "core/config.hpp"

namespace archon::app {

int run_migrate(const Config& config);
int run_keys_rotate(const Config& config, const std::string& kind, bool immediately);
int run_keys_list(const Config& config);
int run_clients_create(const Config& config, const std::string& name);
// Mints a token without a login: for service accounts and for bootstrapping an administrator
// before the identity endpoints exist. Needs the data directory and the KEK, i.e. the power of
// the server itself.
int run_tokens_issue(const Config& config, const std::string& kind, const std::string& subject,
                     const std::vector<std::string>& roles, int ttl_seconds);

}  // namespace archon::app
