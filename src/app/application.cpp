#include "app/application.hpp"

#include <sys/resource.h>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <iostream>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include "core/json_writer.hpp"

#include "api/routes.hpp"
#include "app/runtime.hpp"
#include "app/service_graph.hpp"
#include "core/log.hpp"
#include "http/cors.hpp"
#include "http/dispatcher.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "identity/argon2id.hpp"

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

// Re-reads keys (rotations by `archon-auth keys rotate`, schedules, retirements) and
// deny-lists every `period` until stopped.
void maintenance_loop(std::stop_token stop, Runtime& rt, std::chrono::seconds period) {
  std::mutex mu;
  std::condition_variable_any cv;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mu);
      cv.wait_for(lock, stop, period, [] { return false; });
    }
    if (stop.stop_requested()) break;
    try {
      rt.keyring->refresh();
      rt.revocations->load();
      rt.revocations->prune();
    } catch (const std::exception& e) {
      log::error("maintenance failed", {{"error", e.what()}});
    }
  }
}

// Worker threads for the embedded store's committing handlers (store.worker_threads: 0).
constexpr int kEmbeddedCommitWorkers = 16;

// Handlers that wait on PostgreSQL (or Redis) run on worker threads (one per pooled connection
// by default), never on an I/O thread. SQLite reads answer from a local file in microseconds and
// stay on the I/O threads; handlers that commit go to the workers, where concurrent commits wait
// together and share one fsync (group commit), so the workers bound how many commits one fsync
// can carry.
int handler_workers(const Config& config) {
  int wanted = config.store.worker_threads;
  if (wanted == 0) wanted = config.store.driver == "postgres" ? config.store.pool_max : kEmbeddedCommitWorkers;
  return wanted;
}

// SIGINT and SIGTERM stop the server; SIGPIPE (a peer closing mid-write) must not kill it.
// Built before any server thread starts, so no signal finds the default action in between.
class StopSignals {
 public:
  StopSignals() : signals_(ctx_, SIGINT, SIGTERM) { signals_.add(SIGPIPE); }
  // Blocks until SIGINT or SIGTERM; returns it.
  int wait() {
    int received = 0;
    std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec,
                                                                               int signo) {
      if (ec) return;
      if (signo == SIGPIPE) {
        signals_.async_wait(on_signal);
        return;
      }
      received = signo;
    };
    signals_.async_wait(on_signal);
    ctx_.run();
    return received;
  }

 private:
  boost::asio::io_context ctx_;
  boost::asio::signal_set signals_;
};

// Binds, publishes the URL it is reachable under, serves until a stop signal, then drains.
void run(Runtime& rt, Instance& instance, ServiceGraph& services, std::chrono::steady_clock::time_point started) {
  const Config& config = rt.config;
  auto proxies = http::TrustedProxies::parse(config.server.trusted_proxies);
  if (!proxies) throw std::runtime_error("server.trusted_proxies: " + proxies.error());
  http::ServerState state;
  http::Router router;
  api::register_all_routes(router, services.api(rt, instance, state, started));
  std::optional<boost::asio::thread_pool> workers;
  if (int n = handler_workers(config); n > 0) workers.emplace(static_cast<std::size_t>(n));
  http::Dispatcher dispatcher(router, http::CorsPolicy(config.cors), instance.metrics, config.log.access_log,
                              &instance.rate_limits, std::move(*proxies), workers ? &*workers : nullptr,
                              config.store.driver == "postgres" ? http::OffloadPolicy::kStoreRoutes
                                                                : http::OffloadPolicy::kCommittingRoutes);
  http::Server server(config.server, dispatcher, state);
  StopSignals signals;

  rt.audit->start_writer();  // audit events are appended in batches from here on (flushed at exit)
  ListenAddress bound = server.bind();
  // With port 0 (or an unset public URL) the issuer and discovery URLs follow the bound port.
  resolve_public_url(rt.config.tokens, bound);
  rt.token_service->set_issuer(rt.config.tokens.issuer);
  server.run();
  std::jthread maintenance(maintenance_loop, std::ref(rt), config.tokens.key_refresh);
  double startup_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  log::info("listening", {{"address", bound.to_string()},
                          {"data_dir", config.data_dir},
                          {"public_url", rt.config.tokens.public_url},
                          {"version", ARCHON_VERSION},
                          {"argon2id", std::string(identity::argon2id::implementation())},
                          {"hashing_threads", services.hash_threads},
                          {"startup_ms", startup_ms}});

  int received = signals.wait();
  log::info("shutting down", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"},
                              {"open_connections", state.open_connections.load()}});
  std::size_t cut = server.stop();
  workers.reset();  // lets running handlers finish, drops queued ones (their connections are closed)
  services.shutdown(rt, instance);
  log::info("stopped", {{"connections_cut", cut}});
}

}  // namespace

int serve(const Config& config) {
  auto started = std::chrono::steady_clock::now();
  raise_fd_limit();
  try {
    auto rt = open_runtime(config);
    Instance instance(*rt);
    ServiceGraph services(*rt, instance);
    run(*rt, instance, services, started);
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
