#include "redis/redis_rate_limiter.hpp"

#include <stdexcept>

#include "core/clock.hpp"
#include "core/log.hpp"

namespace archon::redis {
namespace {

// The stored value is the TAT in nanoseconds since the Unix epoch, as decimal text. Lua's
// numbers are doubles (exact to 2^53, about 104 days in ns), too small for an epoch time in
// ns, so the scripts split it into seconds and nanoseconds and do the arithmetic relative to
// Redis's now. Rates whose window (emission * capacity) is under 104 days are exact.
constexpr const char* kPrelude = R"lua(
local t = redis.call('TIME')
local now_s = tonumber(t[1])
local now_f = tonumber(t[2]) * 1000
local emission = tonumber(ARGV[1])
local function stored_tat()
  local v = redis.call('GET', KEYS[1])
  if not v then return 0 end
  local s = 0
  if #v > 9 then s = tonumber(string.sub(v, 1, #v - 9)) end
  return (s - now_s) * 1e9 + (tonumber(string.sub(v, -9)) - now_f)
end
local function store_tat(tat)
  local total = now_f + tat
  local sec = math.floor(total / 1e9)
  local frac = total - sec * 1e9
  if frac < 0 then sec = sec - 1; frac = frac + 1e9 elseif frac >= 1e9 then sec = sec + 1; frac = frac - 1e9 end
  redis.call('SET', KEYS[1], string.format('%d%09d', now_s + sec, frac), 'PX', math.max(1, math.ceil(tat / 1e6)))
end
)lua";

// gcra_step (ratelimit/gcra.hpp) with now = 0. The key expires when its bucket is full again,
// which is the same as the key being absent, so idle keys vanish.
// Returns {allowed, remaining, retry_after_ns, full_after_ns}.
constexpr const char* kAcquire = R"lua(
local capacity = tonumber(ARGV[2])
local tat = math.max(stored_tat(), 0)
local window = emission * capacity
local new_tat = tat + emission
local allow_at = new_tat - window
if 0 < allow_at then return {0, 0, allow_at, tat} end
local remaining = 0
if emission > 0 then
  local room = window - new_tat
  remaining = math.floor(room / emission)
  if (remaining + 1) * emission <= room then remaining = remaining + 1
  elseif remaining * emission > room then remaining = remaining - 1 end
end
store_tat(new_tat)
return {1, remaining, 0, new_tat}
)lua";

// Back one interval; at or before now the key is a fresh one, so it is deleted (an absent
// key reads as now, so a refund for it deletes nothing and creates nothing).
constexpr const char* kRefund = R"lua(
local tat = stored_tat() - emission
if tat <= 0 then redis.call('DEL', KEYS[1]) else store_tat(tat) end
return 1
)lua";

}  // namespace

RedisRateLimiter::RedisRateLimiter(RedisClient& client, std::vector<ratelimit::LimitScope> scopes,
                                   ratelimit::RateLimiter& fallback, std::function<void(bool redis_down)> on_fallback,
                                   std::chrono::milliseconds retry_interval)
    : client_(client),
      scopes_(std::move(scopes)),
      fallback_(fallback),
      on_fallback_(std::move(on_fallback)),
      retry_interval_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(retry_interval).count()),
      acquire_script_(std::string(kPrelude) + kAcquire),
      refund_script_(std::string(kPrelude) + kRefund) {}

std::string RedisRateLimiter::redis_key(std::size_t scope, std::string_view key) const {
  const std::string& name = scopes_.at(scope).name;
  std::string k;
  k.reserve(11 + name.size() + 1 + key.size());
  k.append("rate_limit:").append(name).append(":").append(key);
  return k;
}

ratelimit::LimitOutcome RedisRateLimiter::acquire(std::size_t scope, std::string_view key, std::int64_t now_ns) {
  const ratelimit::GcraRate& rate = scopes_.at(scope).rate;
  if (try_redis()) {
    try {
      const std::string k = redis_key(scope, key);
      const std::string emission = std::to_string(rate.emission_ns);
      const std::string capacity = std::to_string(rate.capacity);
      RedisReply r = client_.eval_script(acquire_script_, {k}, {emission, capacity});
      if (!r.is_array() || r.elements.size() != 4) throw RedisError("rate limit script: unexpected reply");
      for (const auto& e : r.elements)
        if (!e.is_integer()) throw RedisError("rate limit script: unexpected reply");
      redis_answered();
      ratelimit::LimitOutcome out;
      using Kind = ratelimit::LimitOutcome::Kind;
      out.kind = r.elements[0].integer ? Kind::kAllowed : Kind::kLimited;
      out.remaining = r.elements[1].integer;
      out.retry_after_ns = r.elements[2].integer;
      out.full_after_ns = r.elements[3].integer;
      return out;
    } catch (const std::exception& e) {  // RedisUnavailable, RedisError, bad_alloc
      redis_failed(e);
    }
  }
  fallback_acquires_.fetch_add(1, std::memory_order_relaxed);
  return fallback_.acquire(scope, key, now_ns);
}

void RedisRateLimiter::refund(std::size_t scope, std::string_view key) {
  const ratelimit::GcraRate& rate = scopes_.at(scope).rate;
  if (try_redis()) {
    try {
      const std::string k = redis_key(scope, key);
      const std::string emission = std::to_string(rate.emission_ns);
      client_.eval_script(refund_script_, {k}, {emission});
      redis_answered();
      return;
    } catch (const std::exception& e) {
      redis_failed(e);
    }
  }
  fallback_.refund(scope, key);
}

bool RedisRateLimiter::try_redis() {
  if (!degraded_.load(std::memory_order_acquire)) return true;
  std::int64_t next = next_attempt_ns_.load(std::memory_order_acquire);
  const std::int64_t now = clock::steady_ns();
  if (now < next) return false;
  // One request probes Redis; the others keep using the fallback until it has an answer.
  return next_attempt_ns_.compare_exchange_strong(next, now + retry_interval_ns_, std::memory_order_acq_rel);
}

void RedisRateLimiter::redis_failed(const std::exception& e) {
  next_attempt_ns_.store(clock::steady_ns() + retry_interval_ns_, std::memory_order_release);
  if (degraded_.exchange(true, std::memory_order_acq_rel)) return;
  log::warn("redis rate limiter degraded: using per-instance limits",
            {{"redis", client_.target()}, {"error", e.what()}});
  notify(true);
}

void RedisRateLimiter::redis_answered() {
  if (!degraded_.load(std::memory_order_acquire) || !degraded_.exchange(false, std::memory_order_acq_rel)) return;
  log::info("redis rate limiter recovered", {{"redis", client_.target()}});
  notify(false);
}

void RedisRateLimiter::notify(bool redis_down) {
  if (!on_fallback_) return;
  try {
    on_fallback_(redis_down);
  } catch (...) {  // acquire() must not throw for the observer's sake
  }
}

}  // namespace archon::redis
