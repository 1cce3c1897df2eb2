// Test support: a real, throwaway PostgreSQL server. initdb into a fresh temporary directory
// (trust authentication), postgres on 127.0.0.1 at a free port with its unix socket in that
// directory; stopped and deleted in the destructor. PostgreSQL refuses to run as root, so as
// root every server command runs as the unprivileged `postgres` system user. A watchdog
// process stops the server and deletes the directory if the test process dies without
// cleaning up (a crash, a ctest timeout).
#pragma once
#include "testing/process_support.hpp"
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <libpq-fe.h>

#include "store/postgres/pg_database.hpp"

namespace archon::store::testing {

class PgTestServer {
 public:
  PgTestServer() {
    bin_ = find_bindir();
    if (geteuid() == 0) {
      passwd* pw = getpwnam("postgres");
      if (!pw) throw std::runtime_error("running as root needs an unprivileged 'postgres' user for the test server");
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
    }
    char tmpl[] = "/tmp/archon-pg-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    if (uid_ && chown(dir_.c_str(), uid_, gid_) != 0) throw std::runtime_error("cannot chown " + dir_.string());
    start_watchdog();
    run({(bin_ / "initdb").string(), "-D", data(), "-A", "trust", "-U", "postgres", "-E", "UTF8",
         "--locale=C.UTF-8", "--no-sync", "--no-instructions"},
        "initdb");
    std::ofstream conf(data() + "/postgresql.conf", std::ios::app);
    conf << "listen_addresses = '127.0.0.1'\nunix_socket_directories = '" << dir_.string() << "'\n"
         << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 300\n"
         << "shared_buffers = 32MB\n";
    conf.close();
    port_ = archon::testing::start_on_free_port([this](int port) {
      port_ = port;
      start();
    });
  }

  ~PgTestServer() {
    try {
      stop();
    } catch (...) {
    }
    if (watchdog_ > 0) {
      kill(watchdog_, SIGTERM);
      waitpid(watchdog_, nullptr, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PgTestServer(const PgTestServer&) = delete;
  PgTestServer& operator=(const PgTestServer&) = delete;

  // (Re)starts the server on its port and waits until it accepts connections.
  void start() {
    run({(bin_ / "pg_ctl").string(), "-D", data(), "-l", (dir_ / "server.log").string(), "-w", "-t", "30", "-o",
         "-p " + std::to_string(port_), "start"},
        "pg_ctl start");
  }
  // Stops the server: "immediate" is a crash as far as clients can tell.
  void stop(const std::string& mode = "immediate") {
    run({(bin_ / "pg_ctl").string(), "-D", data(), "-m", mode, "-w", "stop"}, "pg_ctl stop");
  }

  // A new, empty database; returns its URL.
  std::string create_database() {
    static std::atomic<int> counter{0};
    std::string name = "archon_test_" + std::to_string(++counter);
    std::string admin = "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
    PGconn* c = PQconnectdb(admin.c_str());
    std::unique_ptr<PGconn, decltype(&PQfinish)> guard(c, &PQfinish);
    if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error(std::string("test server: ") + PQerrorMessage(c));
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(c, ("CREATE DATABASE " + name).c_str()), &PQclear);
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      throw std::runtime_error(std::string("CREATE DATABASE failed: ") + PQerrorMessage(c));
    return url(name);
  }
  std::string url(const std::string& dbname, const std::string& password = "") const {
    return "postgresql://postgres" + (password.empty() ? "" : ":" + password) + "@127.0.0.1:" + std::to_string(port_) +
           "/" + dbname;
  }
  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  static std::filesystem::path find_bindir() {
    if (const char* env = std::getenv("ARCHON_PG_BINDIR")) return env;
    std::filesystem::path best;  // the newest installed major version
    int best_version = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      int version = std::atoi(e.path().filename().c_str());
      if (version > best_version && std::filesystem::exists(e.path() / "bin" / "postgres")) {
        best = e.path() / "bin";
        best_version = version;
      }
    }
    if (best.empty())
      throw std::runtime_error("PostgreSQL server binaries not found: install postgresql-15 or set ARCHON_PG_BINDIR");
    return best;
  }

  std::string data() const { return (dir_ / "data").string(); }

  // Runs a server command as the server's user, its output appended to commands.log; throws
  // with the log's tail if it fails.
  void run(std::vector<std::string> args, const std::string& what) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string log = (dir_ / "commands.log").string();
    char path_env[] = "PATH=/usr/bin:/bin";
    char* envp[] = {path_env, nullptr};
    pid_t pid = fork();
    if (pid == 0) {  // only async-signal-safe calls from here to exec
      if (uid_ && (setgroups(0, nullptr) != 0 || setgid(gid_) != 0 || setuid(uid_) != 0)) _exit(126);
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
      execve(argv[0], argv.data(), envp);
      _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      std::string tail = text.str();
      if (tail.size() > 2000) tail = tail.substr(tail.size() - 2000);
      std::ifstream server_log(dir_ / "server.log");
      std::stringstream server_text;
      server_text << server_log.rdbuf();
      throw std::runtime_error(what + " failed:\n" + tail + "\nserver.log:\n" + server_text.str());
    }
  }

  // Once this process ends: shut the server down (SIGQUIT: immediate) and delete the directory.
  void start_watchdog() {
    watchdog_ = archon::testing::start_watchdog_shell(
        "P=$(head -n1 '" + data() + "/postmaster.pid' 2>/dev/null); "
        "if [ -n \"$P\" ]; then kill -QUIT \"$P\" 2>/dev/null; "
        "for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 \"$P\" 2>/dev/null || break; sleep 0.2; done; fi; "
        "rm -rf '" + dir_.string() + "'");
  }

  std::filesystem::path bin_;
  std::filesystem::path dir_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  int port_ = 0;
  pid_t watchdog_ = -1;
};

// The server shared by the tests of one process, started on first use.
inline PgTestServer& shared_pg_server() {
  static PgTestServer server;
  return server;
}

// Small pools and short timeouts: tests open many pools and must fail fast.
inline PgPoolConfig test_pool_config(const std::string& url, int min = 1, int max = 8) {
  PgPoolConfig config;
  config.url = url;
  config.min = min;
  config.max = max;
  config.command_timeout = std::chrono::milliseconds(5000);
  config.acquire_timeout = std::chrono::milliseconds(5000);
  config.connect_timeout = std::chrono::milliseconds(2000);
  return config;
}

// A fresh, migrated database on the shared server.
struct PgTestDatabase {
  explicit PgTestDatabase(int max_connections = 8)
      : url(shared_pg_server().create_database()), db(test_pool_config(url, 1, max_connections)) {
    db.migrate();
  }
  std::string url;
  PgDatabase db;
};

}  // namespace archon::store::testing
