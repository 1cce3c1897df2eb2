// Test support: a real, throwaway redis-server on 127.0.0.1 at a free port (and a unix socket)
// in a fresh temporary directory, no persistence, optionally with a password. stop() kills it
// with SIGKILL (a crash as far as clients can tell), pause() freezes it (a silent network
// failure), start() brings it back on the same port. A watchdog process kills the server and
// deletes the directory if the test process dies without cleaning up.
#pragma once
#include "testing/process_support.hpp"
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>

#include "redis/redis_client.hpp"
#include "redis/redis_url.hpp"

namespace archon::redis::testing {

class RedisTestServer {
 public:
  explicit RedisTestServer(std::string password = "") : password_(std::move(password)) {
    bin_ = find_binary();
    char tmpl[] = "/tmp/archon-redis-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    start_watchdog();
    port_ = archon::testing::start_on_free_port([this](int port) {
      port_ = port;
      start();
    });
  }

  ~RedisTestServer() {
    stop();
    if (watchdog_ > 0) {
      kill(watchdog_, SIGTERM);
      waitpid(watchdog_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  RedisTestServer(const RedisTestServer&) = delete;
  RedisTestServer& operator=(const RedisTestServer&) = delete;

  // (Re)starts the server on its port and waits until it answers PING.
  void start() {
    if (pid_ > 0) return;
    std::vector<std::string> args{bin_.string(), "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                  "--unixsocket", socket_path(), "--unixsocketperm", "700",
                                  "--save", "", "--appendonly", "no", "--dir", dir_.string(),
                                  "--daemonize", "no", "--logfile", ""};
    if (!password_.empty()) args.insert(args.end(), {"--requirepass", password_});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log = (dir_ / "redis.log").string();
    pid_t pid = fork();
    if (pid == 0) {  // only async-signal-safe calls from here to exec
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      close_range(3, ~0U, 0);  // the test's own sockets must not live on in the server
      execv(argv[0], argv.data());
      _exit(127);
    }
    if (pid < 0) throw std::runtime_error("fork failed");
    pid_ = pid;
    std::ofstream(dir_ / "redis.pid") << pid_ << "\n";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!answers_ping()) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("redis-server exited:\n" + log_tail());
      }
      if (std::chrono::steady_clock::now() > deadline) {
        stop();
        throw std::runtime_error("redis-server did not answer PING:\n" + log_tail());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  // SIGKILL: no goodbye to clients; the kernel closes their sockets.
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    std::error_code ec;
    std::filesystem::remove(dir_ / "redis.pid", ec);
  }
  // SIGSTOP/SIGCONT: connections stay open but nothing answers.
  void pause() { kill(pid_, SIGSTOP); }
  void resume() { kill(pid_, SIGCONT); }

  int port() const { return port_; }
  const std::string& password() const { return password_; }
  std::string socket_path() const { return (dir_ / "redis.sock").string(); }
  std::string url(int db = 0) const {
    return "redis://" + (password_.empty() ? "" : ":" + password_ + "@") + "127.0.0.1:" + std::to_string(port_) +
           "/" + std::to_string(db);
  }
  RedisEndpoint endpoint(int db = 0) const {
    RedisEndpoint ep;
    ep.host = "127.0.0.1";
    ep.port = port_;
    ep.db = db;
    ep.password = password_;
    return ep;
  }

 private:
  static std::filesystem::path find_binary() {
    if (const char* env = std::getenv("ARCHON_REDIS_SERVER")) return env;
    for (const char* p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"})
      if (std::filesystem::exists(p)) return p;
    throw std::runtime_error("redis-server not found: install redis-server or set ARCHON_REDIS_SERVER");
  }

  bool answers_ping() const {
    timeval tv{0, 200'000};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    bool ok = false;
    if (c && !c->err) {
      redisSetTimeout(c, tv);
      if (!password_.empty()) {
        const char* argv[] = {"AUTH", password_.c_str()};
        const std::size_t lens[] = {4, password_.size()};
        if (void* r = redisCommandArgv(c, 2, argv, lens)) freeReplyObject(r);
      }
      if (auto* r = static_cast<redisReply*>(redisCommand(c, "PING"))) {
        ok = r->type == REDIS_REPLY_STATUS && std::string(r->str) == "PONG";
        freeReplyObject(r);
      }
    }
    if (c) redisFree(c);
    return ok;
  }

  std::string log_tail() const {
    std::ifstream in(dir_ / "redis.log");
    std::stringstream text;
    text << in.rdbuf();
    std::string tail = text.str();
    return tail.size() > 2000 ? tail.substr(tail.size() - 2000) : tail;
  }

  // Once this process ends: kill the server named in redis.pid and delete the directory.
  void start_watchdog() {
    watchdog_ = archon::testing::start_watchdog_shell(
        "P=$(head -n1 '" + (dir_ / "redis.pid").string() + "' 2>/dev/null); "
        "if [ -n \"$P\" ]; then kill -CONT \"$P\" 2>/dev/null; kill -KILL \"$P\" 2>/dev/null; fi; "
        "rm -rf '" + dir_.string() + "'");
  }

  std::filesystem::path bin_;
  std::filesystem::path dir_;
  std::string password_;
  int port_ = 0;
  pid_t pid_ = -1;
  pid_t watchdog_ = -1;
};

// The server shared by the tests of one process that do not stop it, started on first use.
inline RedisTestServer& shared_redis_server() {
  static RedisTestServer server;
  return server;
}

// Short timeouts: tests must fail fast.
inline RedisClientConfig test_client_config(const RedisEndpoint& endpoint, int pool_size = 8) {
  RedisClientConfig config;
  config.endpoint = endpoint;
  config.pool_size = pool_size;
  config.connect_timeout = std::chrono::milliseconds(500);
  config.command_timeout = std::chrono::milliseconds(1000);
  return config;
}

}  // namespace archon::redis::testing
