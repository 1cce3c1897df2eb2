#include "redis/redis_client.hpp"

#include <stdexcept>

#include "redis/redis_connection.hpp"

namespace archon::redis {

// Returns the connection to the pool however the call ends (dropped if it broke).
class RedisClient::Lease {
 public:
  explicit Lease(RedisClient& client) : client_(client), conn_(client.acquire()) {}
  ~Lease() { client_.release(std::move(conn_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  RedisConnection* operator->() const { return conn_.get(); }

 private:
  RedisClient& client_;
  std::unique_ptr<RedisConnection> conn_;
};

RedisClient::RedisClient(RedisClientConfig config) : config_(std::move(config)), target_(config_.endpoint.target()) {
  if (config_.pool_size < 1) throw std::invalid_argument("redis client: pool_size must be at least 1");
  if (config_.connect_timeout.count() < 1 || config_.command_timeout.count() < 1)
    throw std::invalid_argument("redis client: timeouts must be at least 1 ms");
}

RedisClient::~RedisClient() = default;

int RedisClient::open_connections() const {
  std::lock_guard lock(mu_);
  return open_;
}

std::unique_ptr<RedisConnection> RedisClient::acquire() {
  const auto deadline = std::chrono::steady_clock::now() + config_.command_timeout;
  std::unique_lock lock(mu_);
  for (;;) {
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      // Closed by the server while idle (Redis restarted): replace it rather than fail a call.
      if (conn->idle_and_open()) return conn;
      lock.unlock();
      conn.reset();
      lock.lock();
      --open_;
    }
    if (open_ < config_.pool_size) {
      ++open_;  // reserve the slot; connect outside the lock
      lock.unlock();
      try {
        const RedisConnectionOptions options{config_.connect_timeout, config_.command_timeout, config_.keepalive};
        return std::make_unique<RedisConnection>(config_.endpoint, options);
      } catch (...) {
        lock.lock();
        --open_;
        cv_.notify_one();
        throw;
      }
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= config_.pool_size)
      throw RedisUnavailable("redis " + target_ + ": all " + std::to_string(config_.pool_size) +
                             " connections busy for " + std::to_string(config_.command_timeout.count()) + " ms");
  }
}

void RedisClient::release(std::unique_ptr<RedisConnection> conn) {
  std::unique_lock lock(mu_);
  if (conn->broken()) {
    --open_;
    lock.unlock();
    conn.reset();
  } else {
    idle_.push_back(std::move(conn));
    lock.unlock();
  }
  cv_.notify_one();
}

RedisReply RedisClient::run(std::span<const std::string_view> args) {
  Lease lease(*this);
  return lease->run(args);
}

RedisReply RedisClient::or_throw(RedisReply reply) const {
  if (!reply.is_error()) return reply;
  // Redis quotes a command's first arguments in some errors; keep the password out of it.
  std::string message = reply.str;
  const std::string& secret = config_.endpoint.password;
  if (!secret.empty())
    for (auto pos = message.find(secret); pos != std::string::npos; pos = message.find(secret, pos + 3))
      message.replace(pos, secret.size(), "***");
  throw RedisError("redis " + target_ + ": " + message);
}

RedisReply RedisClient::command(std::initializer_list<std::string_view> args) {
  return or_throw(run(std::span<const std::string_view>(args.begin(), args.size())));
}

RedisReply RedisClient::command(const std::vector<std::string_view>& args) { return or_throw(run(args)); }

RedisReply RedisClient::eval_script(const RedisScript& script, const std::vector<std::string_view>& keys,
                                    const std::vector<std::string_view>& args) {
  const std::string numkeys = std::to_string(keys.size());
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.insert(argv.end(), {"EVALSHA", script.sha1(), numkeys});
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  RedisReply reply = run(argv);
  if (reply.is_error() && reply.str.starts_with("NOSCRIPT")) {
    argv[0] = "EVAL";
    argv[1] = script.source();
    reply = run(argv);
  }
  return or_throw(std::move(reply));
}

std::int64_t RedisClient::publish(std::string_view channel, std::string_view payload) {
  RedisReply reply = command({"PUBLISH", channel, payload});
  if (!reply.is_integer()) throw RedisError("redis " + target_ + ": PUBLISH gave an unexpected reply");
  return reply.integer;
}

Expected<std::chrono::microseconds, std::string> RedisClient::ping() {
  const auto start = std::chrono::steady_clock::now();
  try {
    RedisReply reply = command({"PING"});
    if (!reply.is_status("PONG")) return Unexpected(std::string("redis " + target_ + ": unexpected reply to PING"));
  } catch (const std::exception& e) {
    return Unexpected(std::string(e.what()));
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace archon::redis
