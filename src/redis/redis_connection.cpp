#include "redis/redis_connection.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <hiredis/hiredis.h>

namespace archon::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// hiredis writes with write(2): a server that died mid-command would raise SIGPIPE and kill the
// process. Block it in this thread for the call and swallow one it raised (libpq does the same).
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        timespec zero{};
        sigtimedwait(&pipe_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = r->type == REDIS_REPLY_STRING   ? RedisReply::Type::kString
                 : r->type == REDIS_REPLY_STATUS ? RedisReply::Type::kStatus
                                                 : RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      break;  // nil
  }
  return out;
}

RedisReply take(void* raw) {
  auto* r = static_cast<redisReply*>(raw);
  RedisReply out = convert(r);
  freeReplyObject(r);
  return out;
}

// argv and lengths for hiredis, pointing into `args` (which must outlive the call).
struct Argv {
  explicit Argv(std::span<const std::string_view> args) {
    ptrs.reserve(args.size());
    lens.reserve(args.size());
    for (auto a : args) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
  }
  int argc() const { return static_cast<int>(ptrs.size()); }
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
};

bool starts_with_word(std::string_view message, std::string_view word) {
  return message.substr(0, word.size()) == word && (message.size() == word.size() || message[word.size()] == ' ');
}

}  // namespace

RedisConnection::RedisConnection(const RedisEndpoint& endpoint, const RedisConnectionOptions& options)
    : target_(endpoint.target()), password_(endpoint.password), command_timeout_(options.command_timeout) {
  const timeval connect_tv = to_timeval(options.connect_timeout);
  ctx_ = endpoint.unix_path.empty() ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, connect_tv)
                                    : redisConnectUnixWithTimeout(endpoint.unix_path.c_str(), connect_tv);
  if (!ctx_) throw RedisUnavailable("redis " + target_ + ": out of memory");
  if (ctx_->err) {
    std::string why = ctx_->errstr;
    redisFree(ctx_);
    ctx_ = nullptr;
    throw RedisUnavailable("redis " + target_ + ": cannot connect: " + why);
  }
  try {
    if (redisSetTimeout(ctx_, to_timeval(options.command_timeout)) != REDIS_OK) fail("cannot set socket timeouts");
    if (options.keepalive && endpoint.unix_path.empty()) redisEnableKeepAlive(ctx_);  // best effort
    if (!endpoint.password.empty()) {
      std::vector<std::string_view> auth{"AUTH"};
      if (!endpoint.user.empty()) auth.push_back(endpoint.user);
      auth.push_back(endpoint.password);
      RedisReply r = run(auth);
      if (r.is_error()) fail("authentication failed: " + r.str);
    }
    if (endpoint.db != 0) {
      const std::string db = std::to_string(endpoint.db);
      const std::array<std::string_view, 2> select{"SELECT", db};
      RedisReply r = run(select);
      if (r.is_error()) fail("cannot select database: " + r.str);
    }
  } catch (...) {
    redisFree(ctx_);
    ctx_ = nullptr;
    throw;
  }
}

RedisConnection::~RedisConnection() {
  if (ctx_) redisFree(ctx_);
}

void RedisConnection::fail(std::string_view what) {
  broken_ = true;
  std::string message = "redis " + target_ + ": " + std::string(what);
  if (!password_.empty()) {
    for (auto pos = message.find(password_); pos != std::string::npos; pos = message.find(password_, pos + 3))
      message.replace(pos, password_.size(), "***");
  }
  throw RedisUnavailable(message);
}

RedisReply RedisConnection::checked(RedisReply reply) {
  if (reply.is_error()) {
    for (std::string_view word : {"LOADING", "BUSY", "MASTERDOWN", "NOAUTH", "READONLY"})
      if (starts_with_word(reply.str, word)) fail(reply.str);
  }
  return reply;
}

RedisReply RedisConnection::run(std::span<const std::string_view> args) {
  if (broken_) fail("connection is broken");
  Argv argv(args);
  void* raw = nullptr;
  {
    SigpipeGuard guard;
    raw = redisCommandArgv(ctx_, argv.argc(), argv.ptrs.data(), argv.lens.data());
  }
  if (!raw) {
    // A socket timeout is EAGAIN, which hiredis reports as an I/O error named by strerror.
    if (ctx_->err == REDIS_ERR_IO && std::string_view(ctx_->errstr) == std::string_view(strerror(EAGAIN)))
      fail("no reply within " + std::to_string(command_timeout_.count()) + " ms");
    fail(ctx_->err ? ctx_->errstr : "no reply");
  }
  return checked(take(raw));
}

void RedisConnection::send(std::span<const std::string_view> args) {
  if (broken_) fail("connection is broken");
  Argv argv(args);
  if (redisAppendCommandArgv(ctx_, argv.argc(), argv.ptrs.data(), argv.lens.data()) != REDIS_OK)
    fail(ctx_->errstr);
  SigpipeGuard guard;
  for (int done = 0; !done;)
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) fail(ctx_->errstr);
}

void RedisConnection::read_available() {
  if (broken_) fail("connection is broken");
  if (redisBufferRead(ctx_) != REDIS_OK) fail(ctx_->errstr);
}

std::optional<RedisReply> RedisConnection::take_reply() {
  if (broken_) fail("connection is broken");
  void* raw = nullptr;
  if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK) fail(ctx_->errstr);
  if (!raw) return std::nullopt;
  return checked(take(raw));
}

bool RedisConnection::idle_and_open() const {
  if (broken_) return false;
  pollfd p{ctx_->fd, POLLIN, 0};
  return poll(&p, 1, 0) == 0;
}

int RedisConnection::fd() const { return ctx_->fd; }

}  // namespace archon::redis
