#include "cluster/redis_cluster_bus.hpp"

#include <charconv>

#include "core/log.hpp"

namespace archon::cluster {

RedisClusterBus::RedisClusterBus(redis::RedisClient& client, redis::RedisSubscriberConfig subscriber)
    : client_(client), subscriber_config_(std::move(subscriber)) {
  subscriber_config_.channel = kChannel;
}

RedisClusterBus::~RedisClusterBus() { subscriber_.reset(); }

void RedisClusterBus::listen(BusListener listener) {
  listener_ = std::move(listener);
  redis::RedisSubscriberCallbacks callbacks;
  callbacks.on_message = [this](std::string_view payload) { apply(payload); };
  callbacks.on_connected = [this] {
    // Subscribed first, then reloaded: a change published after the reload is heard, one
    // made before it is in the database the reload reads.
    try {
      if (listener_.resync) listener_.resync();
    } catch (const std::exception& e) {
      // Still not coherent: requests keep reading the database; the next reconnect retries.
      log::warn("cluster bus resync failed", {{"error", e.what()}});
      return;
    }
    coherent_.store(true, std::memory_order_release);
    if (listener_.state_changed) listener_.state_changed(true);
    log::info("cluster bus subscribed", {{"redis", subscriber_config_.endpoint.target()}});
  };
  callbacks.on_disconnected = [this] {
    coherent_.store(false, std::memory_order_release);
    if (listener_.state_changed) listener_.state_changed(false);
    log::warn("cluster bus lost its subscription: reading revocations and users from the database",
              {{"redis", subscriber_config_.endpoint.target()}});
  };
  subscriber_ = std::make_unique<redis::RedisSubscriber>(subscriber_config_, std::move(callbacks));
}

void RedisClusterBus::apply(std::string_view m) const {
  auto next_field = [&m]() {
    auto nl = m.find('\n');
    std::string_view field = m.substr(0, nl);
    m = nl == std::string_view::npos ? std::string_view{} : m.substr(nl + 1);
    return field;
  };
  std::string_view type = next_field();
  if (type == "u" && listener_.user_changed) {
    listener_.user_changed(std::string(m));
  } else if (type == "g" && listener_.grants_changed) {
    listener_.grants_changed();
  } else if (type == "r" && listener_.revoked) {
    std::string_view kind = next_field();
    std::string_view exp_text = next_field();
    std::int64_t exp = 0;
    auto [p, ec] = std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
    if (ec != std::errc{} || p != exp_text.data() + exp_text.size() || m.empty()) return;
    listener_.revoked(kind, std::string(m), exp);
  }
}

void RedisClusterBus::publish(const std::string& message) {
  try {
    client_.publish(kChannel, message);
  } catch (const std::exception& e) {
    // The change is durable already; instances that cannot hear it are not coherent either
    // (Redis is down for them too) and read the database.
    log::warn("cluster bus publish failed", {{"error", e.what()}});
  }
}

void RedisClusterBus::user_changed(const std::string& user_id) { publish("u\n" + user_id); }

void RedisClusterBus::grants_changed() { publish("g"); }

namespace {
// KEYS: the deny-list key. ARGV: channel, message, expiry (epoch seconds). The key (the spec's
// jwt:blacklist:{jti} and its session/family siblings) lets operators and tool servers ask
// Redis directly; it expires when what it revokes would have.
constexpr const char* kRevokeScript = R"lua(
local ttl = tonumber(ARGV[3]) - tonumber(redis.call('TIME')[1])
if ttl > 0 then redis.call('SET', KEYS[1], '1', 'EX', ttl) end
return redis.call('PUBLISH', ARGV[1], ARGV[2])
)lua";

std::string deny_key(std::string_view kind, const std::string& id) {
  if (kind == "jti") return "jwt:blacklist:" + id;
  return std::string(kind) + ":revoked:" + id;
}
}  // namespace

void RedisClusterBus::revoked(std::string_view kind, const std::string& id, std::int64_t expires_at) {
  static const redis::RedisScript script(kRevokeScript);
  std::string message = "r\n" + std::string(kind) + "\n" + std::to_string(expires_at) + "\n" + id;
  try {
    std::string key = deny_key(kind, id);
    std::string exp = std::to_string(expires_at);
    client_.eval_script(script, {key}, {kChannel, message, exp});
  } catch (const std::exception& e) {
    log::warn("cluster bus publish failed", {{"error", e.what()}});
  }
}

}  // namespace archon::cluster
