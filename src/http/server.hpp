// The HTTP/1.1 server: one io_context and one SO_REUSEPORT acceptor per I/O thread, a
// coroutine per connection with header/body limits, read/idle/write deadlines, keep-alive,
// and a graceful drain on shutdown. start() binds and spawns threads; stop() drains and joins.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "core/config.hpp"
#include "http/dispatcher.hpp"

namespace archon::http {

// Flags shared with health checks (readiness) and the signal handler.
struct ServerState {
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> open_connections{0};
};

class Server {
 public:
  Server(const ServerConfig& config, const Dispatcher& dispatcher, ServerState& state);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every acceptor (throws std::runtime_error with a readable message on failure).
  // Returns the bound address (port 0 resolved to the real port). Connections wait in the
  // backlog until run().
  ListenAddress bind();
  // Starts the I/O threads.
  void run();
  // bind() then run().
  ListenAddress start();
  // Stops accepting, closes idle connections, waits up to the grace period for in-flight
  // requests, then stops the threads. Idempotent. Returns the connections cut at the deadline.
  std::size_t stop();

 private:
  class Worker;
  const ServerConfig& config_;
  const Dispatcher& dispatcher_;
  ServerState& state_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

}  // namespace archon::http
