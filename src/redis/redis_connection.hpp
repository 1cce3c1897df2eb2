// One hiredis connection: opened, authenticated (AUTH) and on its database (SELECT), with
// socket timeouts and TCP keepalive. The client's pool and the subscriber build on it. Not
// thread-safe: one thread uses it at a time. Every failure is a RedisUnavailable naming the
// endpoint's target(), never its password; after one the connection is broken() for good.
#pragma once
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "redis/redis_reply.hpp"
#include "redis/redis_url.hpp"

struct redisContext;

namespace archon::redis {

struct RedisConnectionOptions {
  std::chrono::milliseconds connect_timeout{2000};  // TCP connect (name resolution is not bounded)
  std::chrono::milliseconds command_timeout{1000};  // each blocking socket read and write
  bool keepalive = true;                            // finds a dead peer under an idle connection
};

class RedisConnection {
 public:
  // Connects, then AUTH and SELECT as the endpoint says. Throws RedisUnavailable, also for a
  // refused AUTH: a client with the wrong password can do nothing but wait for a fix.
  RedisConnection(const RedisEndpoint& endpoint, const RedisConnectionOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command (binary-safe: each argument goes with its length) and waits for the
  // reply. An error reply is returned as kError, except the few that mean the server cannot
  // serve now (LOADING, BUSY, MASTERDOWN, NOAUTH, READONLY), which throw RedisUnavailable
  // like I/O failures and timeouts do.
  RedisReply run(std::span<const std::string_view> args);

  // The pieces of run() for a reader that waits in poll() (the subscriber): write one command
  // without reading its reply; read whatever the socket holds (EOF throws); take one parsed reply.
  void send(std::span<const std::string_view> args);
  void read_available();
  std::optional<RedisReply> take_reply();

  bool broken() const { return broken_; }
  // For an idle connection: false once the server has closed it (a restart, an idle timeout),
  // seen as a readable socket, since an idle RESP2 connection is never sent anything.
  bool idle_and_open() const;
  int fd() const;

 private:
  [[noreturn]] void fail(std::string_view what);
  RedisReply checked(RedisReply reply);

  redisContext* ctx_ = nullptr;
  std::string target_;
  std::string password_;  // only to scrub it from messages that might echo it
  std::chrono::milliseconds command_timeout_;
  bool broken_ = false;
};

}  // namespace archon::redis
