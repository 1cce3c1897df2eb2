#include "app/application.hpp"

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include "core/json_writer.hpp"

#include "api/routes.hpp"
#include "core/log.hpp"
#include "http/cors.hpp"
#include "http/dispatcher.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "observability/health.hpp"
#include "observability/metrics.hpp"
#include "store/sqlite/sqlite_database.hpp"

namespace archon::app {
namespace {

// 1,000+ concurrent connections need more descriptors than the usual soft limit of 1024.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

void prepare_data_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  bool created = fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create data directory " + dir + ": " + ec.message());
  if (created) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
}

using observability::CheckResult;

}  // namespace

int serve(const Config& config) {
  auto started = std::chrono::steady_clock::now();
  raise_fd_limit();
  try {
    prepare_data_dir(config.data_dir);
    auto database = std::make_shared<store::SqliteDatabase>(config.data_dir + "/archon-auth.db");

    observability::Metrics metrics;
    metrics.set_db_connections_active(1);
    observability::HealthRegistry health;
    health.add("database", [database] {
      auto r = database->ping();
      if (!r) return CheckResult{CheckResult::Status::kUnhealthy, r.error(), 0};
      return CheckResult{CheckResult::Status::kHealthy, "sqlite", static_cast<double>(r->count()) / 1000.0};
    });
    health.add("jwt_service", [] {
      return CheckResult{CheckResult::Status::kNotConfigured, "token service not yet available", 0};
    });
    health.add("rate_limiter", [] {
      return CheckResult{CheckResult::Status::kNotConfigured, "rate limiting not yet enforced", 0};
    });

    http::ServerState state;
    api::Services services{&health, &metrics, &state, started};
    http::Router router;
    api::register_all_routes(router, services);
    http::Dispatcher dispatcher(router, http::CorsPolicy(config.cors), metrics, config.log.access_log);
    http::Server server(config.server, dispatcher, state);

    // Block the signals in every thread so only the signal_set below sees them.
    boost::asio::io_context signals_ctx;
    boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
    signals.add(SIGPIPE);  // a peer closing mid-write must not kill the process

    ListenAddress bound = server.start();
    double startup_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    log::info("listening", {{"address", bound.to_string()},
                            {"data_dir", config.data_dir},
                            {"version", ARCHON_VERSION},
                            {"startup_ms", startup_ms}});

    int received = 0;
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signo) {
          if (ec) return;
          if (signo == SIGPIPE) {
            signals.async_wait(on_signal);
            return;
          }
          received = signo;
        };
    signals.async_wait(on_signal);
    signals_ctx.run();

    log::info("shutting down", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"},
                                {"open_connections", state.open_connections.load()}});
    std::size_t cut = server.stop();
    log::info("stopped", {{"connections_cut", cut}});
    return 0;
  } catch (const std::exception& e) {
    log::error("fatal", {{"error", e.what()}});
    return 1;
  }
}

void print_routes() {
  http::Router router;
  api::register_all_routes(router, api::Services{});
  std::cout << json::write(router.describe()) << "\n";
}

}  // namespace archon::app
