// archon-auth: the command line. `serve` runs the server; the rest are operator tools.
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/application.hpp"
#include "core/config.hpp"
#include "core/log.hpp"

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

// Flags beat environment, environment beats the file, the file beats the defaults.
int run_serve(std::string config_path, const std::string& listen_flag, const std::string& data_dir_flag) {
  if (config_path.empty())
    if (const char* e = env("ARCHON_AUTH_CONFIG")) config_path = e;
  archon::Config config;
  if (!config_path.empty()) {
    auto loaded = archon::load_config_file(config_path);
    if (!loaded) {
      std::cerr << "archon-auth: " << loaded.error() << "\n";
      return 2;
    }
    config = std::move(*loaded);
  }
  std::string listen = listen_flag;
  if (listen.empty())
    if (const char* e = env("ARCHON_AUTH_LISTEN")) listen = e;
  if (!listen.empty()) {
    auto addr = archon::parse_listen_address(listen);
    if (!addr) {
      std::cerr << "archon-auth: listen: " << addr.error() << "\n";
      return 2;
    }
    config.server.listen = *addr;
  }
  if (!data_dir_flag.empty()) config.data_dir = data_dir_flag;
  else if (const char* e = env("ARCHON_AUTH_DATA_DIR")) config.data_dir = e;

  archon::log::init(config.log.level);
  return archon::app::serve(config);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"archon-auth: authentication and authorization for AI-agent platforms"};
  cli.require_subcommand(1);

  std::string config_path, listen, data_dir;
  auto* serve = cli.add_subcommand("serve", "Run the server");
  serve->add_option("--config", config_path, "YAML config file (env ARCHON_AUTH_CONFIG)");
  serve->add_option("--listen", listen, "HOST:PORT to listen on (env ARCHON_AUTH_LISTEN)");
  serve->add_option("--data-dir", data_dir, "Data directory (env ARCHON_AUTH_DATA_DIR)");

  cli.add_subcommand("version", "Print the version");
  cli.add_subcommand("routes", "Print the served routes as JSON");

  auto* config_cmd = cli.add_subcommand("config", "Configuration tools");
  config_cmd->require_subcommand(1);
  std::string check_path;
  auto* check = config_cmd->add_subcommand("check", "Validate a config file");
  check->add_option("FILE", check_path, "YAML config file")->required();

  CLI11_PARSE(cli, argc, argv);

  if (serve->parsed()) return run_serve(config_path, listen, data_dir);
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
  return 0;
}
