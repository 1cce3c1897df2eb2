// Test support shared by the throwaway servers the unit tests start (PostgreSQL, Redis): a
// free loopback port, and a detached watchdog shell that cleans up after a test process that
// died without doing so itself.
#pragma once
#include <exception>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace archon::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (another process may still take it: callers
// retry their start on a bind failure).
inline int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// Runs `cleanup` (sh -c) once this process has ended, from a shell in its own session (so
// Ctrl-C on the tests does not kill it too), with no inherited descriptors. Returns its pid.
inline pid_t start_watchdog_shell(const std::string& cleanup) {
  std::string script = "while kill -0 " + std::to_string(getpid()) + " 2>/dev/null; do sleep 1; done; " + cleanup;
  char sh[] = "/bin/sh", c[] = "-c";
  char* argv[] = {sh, c, script.data(), nullptr};
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
      dup2(fd, 0);
      dup2(fd, 1);
      dup2(fd, 2);
    }
    close_range(3, ~0U, 0);
    execv(argv[0], argv);
    _exit(127);
  }
  return pid;
}

// Starts a server on a free loopback port: `start(port)` throws when it cannot come up, which may
// be because another process took the port first, so a new port is tried (5 attempts).
// Returns the port it came up on.
template <class Start>
int start_on_free_port(Start&& start) {
  for (int attempt = 1;; ++attempt) {
    int port = free_loopback_port();
    try {
      start(port);
      return port;
    } catch (const std::exception&) {
      if (attempt == 5) throw;
    }
  }
}

}  // namespace archon::testing
