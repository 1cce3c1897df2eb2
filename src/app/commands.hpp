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

// Creates a verified, active user with `role` (user | agent_operator | admin); the password is
// read from stdin (one line) so it never appears in the process list or shell history.
int run_users_create(const Config& config, const std::string& email, const std::string& name, const std::string& role);
// Checks the audit trail's hash chain; exit 1 naming the first broken event.
int run_audit_verify(const Config& config);
// Times `runs` password verifications with the configured Argon2id cost on one thread, the way a
// hashing thread does them under load (memory kept between hashes); prints JSON. For sizing
// (hashing_threads, expected logins per second) and for the bench's hash-bound limit.
int run_passwords_benchmark(const Config& config, int runs);

}  // namespace archon::app
