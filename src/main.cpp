// archon-auth: the command line. `serve` runs the server; the rest are operator tools.
#include <cstdlib>
#include <functional>
#include <iostream>
#include <string_view>
#include <vector>

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


// The command line: its options' values, and for each command, its CLI11 subcommand and what
// it runs once the configuration is resolved.
struct CommandLine {
  using Run = std::function<int(const archon::Config&)>;
  struct Command {
    CLI::App* app;
    Run run;
  };

  CLI::App cli{"archon-auth: authentication and authorization for AI-agent platforms"};
  std::string config_path, listen, data_dir;
  std::vector<Command> commands;  // needing the configuration, `serve` first
  CLI::App* check = nullptr;
  std::string check_path;
  // Option values of the operator commands.
  std::string kind = "access", client_name, subject, user_email, user_name, user_role = "user";
  bool immediately = false;
  std::vector<std::string> roles;
  int ttl = 3600, hash_runs = 10;

  CommandLine() {
    cli.require_subcommand(1);
    auto* serve = add(cli, "serve", "Run the server", [](const archon::Config& c) { return archon::app::serve(c); });
    serve->add_option("--listen", listen, "HOST:PORT to listen on (env ARCHON_AUTH_LISTEN)");
    cli.add_subcommand("version", "Print the version");
    cli.add_subcommand("routes", "Print the served routes as JSON");
    add(cli, "migrate", "Apply database migrations and exit",
        [](const archon::Config& c) { return archon::app::run_migrate(c); });
    auto* config_cmd = group("config", "Configuration tools");
    check = config_cmd->add_subcommand("check", "Validate a config file");
    check->add_option("FILE", check_path, "YAML config file")->required();
    add_key_commands();
    add_credential_commands();
    add_user_commands();
  }

  bool serving() const { return commands.front().app->parsed(); }

 private:
  // A command that needs the configuration (so takes --config and --data-dir).
  CLI::App* add(CLI::App& parent, const char* name, const char* what, Run run) {
    auto* cmd = parent.add_subcommand(name, what);
    cmd->add_option("--config", config_path, "YAML config file (env ARCHON_AUTH_CONFIG)");
    cmd->add_option("--data-dir", data_dir, "Data directory (env ARCHON_AUTH_DATA_DIR)");
    commands.push_back({cmd, std::move(run)});
    return cmd;
  }
  CLI::App* group(const char* name, const char* what) {
    auto* g = cli.add_subcommand(name, what);
    g->require_subcommand(1);
    return g;
  }

  void add_key_commands() {
    auto* keys = group("keys", "Signing keys");
    auto* rotate = add(*keys, "rotate", "Add a key that signs after the propagation delay", [this](const archon::Config& c) {
      return archon::app::run_keys_rotate(c, kind, immediately);
    });
    rotate->add_option("--kind", kind, "access or agent")->check(CLI::IsMember({"access", "agent"}));
    rotate->add_flag("--immediately", immediately, "Sign with it at once (after a key compromise)");
    add(*keys, "list", "List stored keys", [](const archon::Config& c) { return archon::app::run_keys_list(c); });
  }

  void add_credential_commands() {
    auto* clients = group("clients", "Service credentials for resource servers");
    auto* create = add(*clients, "create", "Create a client; prints its secret once",
                       [this](const archon::Config& c) { return archon::app::run_clients_create(c, client_name); });
    create->add_option("--name", client_name, "What the client is")->required();
    auto* tokens = group("tokens", "Tokens");
    auto* issue = add(*tokens, "issue", "Mint a token (service accounts, bootstrap)", [this](const archon::Config& c) {
      return archon::app::run_tokens_issue(c, kind, subject, roles, ttl);
    });
    issue->add_option("--kind", kind, "access or agent")->check(CLI::IsMember({"access", "agent"}));
    issue->add_option("--subject", subject, "The sub claim")->required();
    issue->add_option("--role", roles, "A role (repeatable)");
    issue->add_option("--ttl", ttl, "Lifetime in seconds (capped by the kind's lifetime)")->check(CLI::Range(1, 86400));
  }

  void add_user_commands() {
    auto* users = group("users", "User administration");
    auto* create = add(*users, "create", "Create a verified user; the password is read from stdin",
                       [this](const archon::Config& c) {
                         return archon::app::run_users_create(c, user_email, user_name, user_role);
                       });
    create->add_option("--email", user_email, "Email address")->required();
    create->add_option("--name", user_name, "Display name")->required();
    create->add_option("--role", user_role, "user, agent_operator or admin")
        ->check(CLI::IsMember(archon::identity::role_names()));
    auto* passwords = group("passwords", "Password hashing");
    auto* benchmark = add(*passwords, "benchmark", "Time Argon2id verifications with the configured cost; prints JSON",
                          [this](const archon::Config& c) { return archon::app::run_passwords_benchmark(c, hash_runs); });
    benchmark->add_option("--runs", hash_runs, "How many to time")->check(CLI::Range(1, 1000));
    auto* audit = group("audit", "Audit trail");
    add(*audit, "verify", "Check the hash chain", [](const archon::Config& c) { return archon::app::run_audit_verify(c); });
  }
};

int check_config_file(const std::string& path) {
  auto loaded = archon::load_config_file(path);
  if (!loaded) {
    std::cerr << "archon-auth: " << loaded.error() << "\n";
    return 1;
  }
  std::cout << path << ": OK\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine line;
  CLI::App& cli = line.cli;
  CLI11_PARSE(cli, argc, argv);

  if (cli.got_subcommand("version")) {
    std::cout << "archon-auth " << ARCHON_VERSION << " (API 2.0.0)\n";
    return 0;
  }
  if (cli.got_subcommand("routes")) {
    archon::app::print_routes();
    return 0;
  }
  if (line.check->parsed()) return check_config_file(line.check_path);

  auto config = resolve_config(line.config_path, line.listen, line.data_dir);
  if (!config) {
    std::cerr << "archon-auth: " << config.error() << "\n";
    return 2;
  }
  // Operator commands log only warnings, so their stdout stays clean for scripts.
  archon::log::init(line.serving() ? config->log.level : "warn");
  for (const auto& command : line.commands)
    if (command.app->parsed()) return command.run(*config);
  return 0;
}
