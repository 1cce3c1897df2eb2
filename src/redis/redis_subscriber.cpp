#include "redis/redis_subscriber.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <stdexcept>

#include "core/log.hpp"
#include "redis/redis_connection.hpp"

namespace archon::redis {

RedisSubscriber::RedisSubscriber(RedisSubscriberConfig config, RedisSubscriberCallbacks callbacks)
    : config_(std::move(config)), callbacks_(std::move(callbacks)) {
  if (config_.command_timeout.count() < 2 || config_.min_backoff.count() < 1 ||
      config_.max_backoff < config_.min_backoff)
    throw std::invalid_argument("redis subscriber: command_timeout >= 2 ms and 1 ms <= min_backoff <= max_backoff");
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error("redis subscriber: eventfd failed");
  thread_ = std::thread([this] { run(); });
}

RedisSubscriber::~RedisSubscriber() {
  stop_.store(true, std::memory_order_release);
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = write(wake_fd_, &one, sizeof one);
  thread_.join();
  close(wake_fd_);
}

bool RedisSubscriber::wait(int fd, std::chrono::steady_clock::time_point deadline) const {
  std::array<pollfd, 2> fds{pollfd{wake_fd_, POLLIN, 0}, pollfd{fd, POLLIN, 0}};
  for (;;) {
    if (stopping()) return false;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    int n = poll(fds.data(), fd >= 0 ? 2 : 1, static_cast<int>(std::min<std::int64_t>(left.count(), 60'000)));
    if (n < 0 && errno != EINTR) return fd >= 0;  // let the read report the socket's state
    if (n > 0 && fds[0].revents) return false;
    if (n > 0 && fds[1].revents) return true;  // POLLHUP and POLLERR too: the read reports them
  }
}

template <class F>
void RedisSubscriber::call(const char* name, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    log::warn("redis subscriber callback threw",
              {{"callback", name}, {"channel", config_.channel}, {"error", e.what()}});
  }
}

void RedisSubscriber::subscribe(RedisConnection& conn) {
  const std::array<std::string_view, 2> cmd{"SUBSCRIBE", config_.channel};
  conn.send(cmd);
  const auto deadline = std::chrono::steady_clock::now() + config_.command_timeout;
  for (;;) {
    if (auto reply = conn.take_reply()) {
      if (reply->is_array() && reply->elements.size() == 3 && reply->elements[0].str == "subscribe") return;
      throw RedisUnavailable("redis " + config_.endpoint.target() + ": SUBSCRIBE refused" +
                             (reply->is_error() ? ": " + reply->str : std::string()));
    }
    if (!wait(conn.fd(), deadline)) {
      if (stopping()) return;
      throw RedisUnavailable("redis " + config_.endpoint.target() + ": no reply to SUBSCRIBE");
    }
    conn.read_available();
  }
}

void RedisSubscriber::listen(RedisConnection& conn) {
  // Probe after half the timeout of silence and give up after the other half without a reply:
  // a server that vanished without closing the socket is noticed within command_timeout.
  const auto half = config_.command_timeout / 2;
  const std::array<std::string_view, 1> ping{"PING"};
  auto last_heard = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> ping_sent;
  while (!stopping()) {
    while (auto reply = conn.take_reply()) {
      // ["message", channel, payload]; the other replies here are PING's ["pong", ""].
      if (reply->is_array() && reply->elements.size() == 3 && reply->elements[0].str == "message" &&
          callbacks_.on_message)
        call("on_message", [&] { callbacks_.on_message(reply->elements[2].str); });
    }
    const auto deadline = ping_sent ? *ping_sent + half : last_heard + half;
    if (wait(conn.fd(), deadline)) {
      conn.read_available();
      last_heard = std::chrono::steady_clock::now();
      ping_sent.reset();
    } else if (stopping()) {
      return;
    } else if (ping_sent) {
      throw RedisUnavailable("redis " + config_.endpoint.target() + ": no reply to PING");
    } else {
      conn.send(ping);
      ping_sent = std::chrono::steady_clock::now();
    }
  }
}

void RedisSubscriber::run() {
  const RedisConnectionOptions options{config_.connect_timeout, config_.command_timeout, true};
  auto backoff = config_.min_backoff;
  bool failure_logged = false;  // one log line per outage, not one per attempt
  while (!stopping()) {
    std::string reason;
    try {
      RedisConnection conn(config_.endpoint, options);
      subscribe(conn);
      if (stopping()) break;
      connected_.store(true, std::memory_order_release);
      backoff = config_.min_backoff;
      if (failure_logged)
        log::info("redis subscriber connected", {{"redis", config_.endpoint.target()}, {"channel", config_.channel}});
      failure_logged = false;
      if (callbacks_.on_connected) call("on_connected", callbacks_.on_connected);
      listen(conn);
    } catch (const std::exception& e) {
      reason = e.what();
    }
    if (stopping()) break;
    if (!failure_logged) {
      log::warn(connected() ? "redis subscriber disconnected" : "redis subscriber cannot connect",
                {{"redis", config_.endpoint.target()}, {"channel", config_.channel}, {"error", reason}});
      failure_logged = true;
    }
    if (connected_.exchange(false, std::memory_order_acq_rel) && callbacks_.on_disconnected)
      call("on_disconnected", callbacks_.on_disconnected);
    wait(-1, std::chrono::steady_clock::now() + backoff);
    backoff = std::min(backoff * 2, config_.max_backoff);
  }
  connected_.store(false, std::memory_order_release);
}

}  // namespace archon::redis
