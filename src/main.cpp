// archon-auth: the command line. `serve` runs the server; the rest are operator tools.
#include <cstdlib>
#include <iostream>
#include <string_view>

#include <CLI/CLI.hpp>

#include "app/application.hpp"
#include "app/commands.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "identity/roles.hpp"

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

// Flags beat environment, environment beats the file, the file beats the defaults.
archon::Expected<archon::Config, std::string> resolve_config(std::string config_path, const std::string& listen_flag,
                                                             const std::string& data_dir_flag) {
  if (config_path.empty())
    if (const char* e = env("ARCHON_AUTH_CONFIG")) config_path = e;
  archon::Config config;
  if (!config_path.empty()) {
    auto loaded = archon::load_config_file(config_path);
    if (!loaded) return archon::Unexpected{loaded.error()};
    config = std::move(*loaded);
  }
  std::string listen = listen_flag;
  if (listen.empty())
    if (const char* e = env("ARCHON_AUTH_LISTEN")) listen = e;
  if (!listen.empty()) {
    auto addr = archon::parse_listen_address(listen);
    if (!addr) return archon::Unexpected{"listen: " + addr.error()};
    config.server.listen = *addr;
  }
  // Connection URLs carry passwords: the environment keeps them out of the config file.
  // A PostgreSQL URL in the environment selects PostgreSQL (the DATABASE_URL convention).
  if (const char* e = env("ARCHON_AUTH_DATABASE_URL")) {
    config.store.url = e;
    std::string_view url(e);
    if (url.starts_with("postgres://") || url.starts_with("postgresql://")) config.store.driver = "postgres";
  }
  if (const char* e = env("ARCHON_AUTH_REDIS_URL")) config.redis.url = e;
  if (!data_dir_flag.empty()) config.data_dir = data_dir_flag;
  else if (const char* e = env("ARCHON_AUTH_DATA_DIR")) config.data_dir = e;
  archon::resolve_public_url(config.tokens, config.server.listen);
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"archon-auth: authentication and authorization for AI-agent platforms"};
  cli.require_subcommand(1);

  std::string config_path, listen, data_dir;
  auto add_config_options = [&](CLI::App* cmd) {
    cmd->add_option("--config", config_path, "YAML config file (env ARCHON_AUTH_CONFIG)");
    cmd->add_option("--data-dir", data_dir, "Data directory (env ARCHON_AUTH_DATA_DIR)");
  };

  auto* serve = cli.add_subcommand("serve", "Run the server");
  add_config_options(serve);
  serve->add_option("--listen", listen, "HOST:PORT to listen on (env ARCHON_AUTH_LISTEN)");

  cli.add_subcommand("version", "Print the version");
  cli.add_subcommand("routes", "Print the served routes as JSON");

  auto* migrate = cli.add_subcommand("migrate", "Apply database migrations and exit");
  add_config_options(migrate);

  auto* config_cmd = cli.add_subcommand("config", "Configuration tools");
  config_cmd->require_subcommand(1);
  std::string check_path;
  auto* check = config_cmd->add_subcommand("check", "Validate a config file");
  check->add_option("FILE", check_path, "YAML config file")->required();

  auto* keys = cli.add_subcommand("keys", "Signing keys");
  keys->require_subcommand(1);
  std::string kind = "access";
  bool immediately = false;
  auto* rotate = keys->add_subcommand("rotate", "Add a key that signs after the propagation delay");
  add_config_options(rotate);
  rotate->add_option("--kind", kind, "access or agent")->check(CLI::IsMember({"access", "agent"}));
  rotate->add_flag("--immediately", immediately, "Sign with it at once (after a key compromise)");
  auto* keys_list = keys->add_subcommand("list", "List stored keys");
  add_config_options(keys_list);

  auto* clients = cli.add_subcommand("clients", "Service credentials for resource servers");
  clients->require_subcommand(1);
  std::string client_name;
  auto* clients_create = clients->add_subcommand("create", "Create a client; prints its secret once");
  add_config_options(clients_create);
  clients_create->add_option("--name", client_name, "What the client is")->required();

  auto* tokens = cli.add_subcommand("tokens", "Tokens");
  tokens->require_subcommand(1);
  std::string subject;
  std::vector<std::string> roles;
  int ttl = 3600;
  auto* issue = tokens->add_subcommand("issue", "Mint a token (service accounts, bootstrap)");
  add_config_options(issue);
  issue->add_option("--kind", kind, "access or agent")->check(CLI::IsMember({"access", "agent"}));
  issue->add_option("--subject", subject, "The sub claim")->required();
  issue->add_option("--role", roles, "A role (repeatable)");
  issue->add_option("--ttl", ttl, "Lifetime in seconds (capped by the kind's lifetime)")->check(CLI::Range(1, 86400));

  auto* users = cli.add_subcommand("users", "User administration");
  users->require_subcommand(1);
  std::string user_email, user_name, user_role = "user";
  auto* users_create = users->add_subcommand("create", "Create a verified user; the password is read from stdin");
  add_config_options(users_create);
  users_create->add_option("--email", user_email, "Email address")->required();
  users_create->add_option("--name", user_name, "Display name")->required();
  users_create->add_option("--role", user_role, "user, agent_operator or admin")
      ->check(CLI::IsMember(archon::identity::role_names()));

  auto* passwords = cli.add_subcommand("passwords", "Password hashing");
  passwords->require_subcommand(1);
  int hash_runs = 10;
  auto* passwords_benchmark =
      passwords->add_subcommand("benchmark", "Time Argon2id verifications with the configured cost; prints JSON");
  add_config_options(passwords_benchmark);
  passwords_benchmark->add_option("--runs", hash_runs, "How many to time")->check(CLI::Range(1, 1000));

  auto* audit = cli.add_subcommand("audit", "Audit trail");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand("verify", "Check the hash chain");
  add_config_options(audit_verify);

  CLI11_PARSE(cli, argc, argv);

  if (cli.got_subcommand("version")) {
    std::cout << "archon-auth " << ARCHON_VERSION << " (API 2.0.0)\n";
    return 0;
  }
  if (cli.got_subcommand("routes")) {
    archon::app::print_routes();
    return 0;
  }
  if (check->parsed()) {
    auto loaded = archon::load_config_file(check_path);
    if (!loaded) {
      std::cerr << "archon-auth: " << loaded.error() << "\n";
      return 1;
    }
    std::cout << check_path << ": OK\n";
    return 0;
  }

  auto config = resolve_config(config_path, listen, data_dir);
  if (!config) {
    std::cerr << "archon-auth: " << config.error() << "\n";
    return 2;
  }
  // Operator commands log only warnings, so their stdout stays clean for scripts.
  archon::log::init(serve->parsed() ? config->log.level : "warn");
  if (serve->parsed()) return archon::app::serve(*config);
  if (migrate->parsed()) return archon::app::run_migrate(*config);
  if (rotate->parsed()) return archon::app::run_keys_rotate(*config, kind, immediately);
  if (keys_list->parsed()) return archon::app::run_keys_list(*config);
  if (clients_create->parsed()) return archon::app::run_clients_create(*config, client_name);
  if (issue->parsed()) return archon::app::run_tokens_issue(*config, kind, subject, roles, ttl);
  if (users_create->parsed()) return archon::app::run_users_create(*config, user_email, user_name, user_role);
  if (audit_verify->parsed()) return archon::app::run_audit_verify(*config);
  if (passwords_benchmark->parsed()) return archon::app::run_passwords_benchmark(*config, hash_runs);
  return 0;
}
