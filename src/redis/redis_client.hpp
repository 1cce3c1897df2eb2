// A thread-safe, blocking Redis client over a small pool of connections. Connections open on
// demand; one that failed is dropped and the next call opens a new one, so the client
// reconnects by itself after a Redis restart, with no background thread. Commands go out as
// argument vectors with explicit lengths (binary-safe; nothing is ever formatted into a
// command string).
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "redis/redis_reply.hpp"
#include "redis/redis_script.hpp"
#include "redis/redis_url.hpp"

namespace archon::redis {

class RedisConnection;

struct RedisClientConfig {
  RedisEndpoint endpoint;
  int pool_size = 8;                                // connections open at most
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{1000};  // each socket read/write, and the wait for a free connection
  bool keepalive = true;
};

class RedisClient {
 public:
  // Opens nothing yet: an unreachable Redis does not stop construction (ping() checks).
  // Throws std::invalid_argument for a pool size or timeout below 1.
  explicit RedisClient(RedisClientConfig config);
  // No call may be in progress.
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command. Throws RedisUnavailable (cannot connect, timeout, connection lost, no
  // free connection within command_timeout) or RedisError (an error reply to the command,
  // e.g. WRONGTYPE). Errors nested in an array reply are returned as kError elements. A
  // command that failed with RedisUnavailable may or may not have been executed.
  RedisReply command(std::initializer_list<std::string_view> args);
  RedisReply command(const std::vector<std::string_view>& args);

  // EVALSHA with the locally computed SHA1; on NOSCRIPT (a restarted or flushed Redis) the
  // same call as EVAL, which also caches the script again. Throws like command().
  RedisReply eval_script(const RedisScript& script, const std::vector<std::string_view>& keys,
                         const std::vector<std::string_view>& args);

  // PUBLISH; returns how many subscribers received the message.
  std::int64_t publish(std::string_view channel, std::string_view payload);

  // For health checks: the time a PING took (including a connect when no connection was
  // idle), or why it failed. Never throws.
  Expected<std::chrono::microseconds, std::string> ping();

  // "host:port/db": safe to log.
  const std::string& target() const { return target_; }
  const RedisClientConfig& config() const { return config_; }
  int open_connections() const;  // idle and in use

 private:
  class Lease;
  std::unique_ptr<RedisConnection> acquire();
  void release(std::unique_ptr<RedisConnection> conn);
  RedisReply run(std::span<const std::string_view> args);
  RedisReply or_throw(RedisReply reply) const;

  RedisClientConfig config_;
  std::string target_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;  // most recently used last
  int open_ = 0;                                        // idle + in use + being opened
};

}  // namespace archon::redis
