#include "cluster/redis_shared_cache.hpp"

#include "core/clock.hpp"
#include "core/log.hpp"

namespace archon::cluster {
namespace {

// KEYS: value, generation, epoch. ARGV: the generation the reader saw ("" = none), value, ttl
// seconds. Stored as "<epoch>:<generation>\n<value>": valid only while both are unchanged, so
// one INCR invalidates every value under a generation key, and one more all of them.
constexpr const char* kPut = R"lua(
local g = redis.call('GET', KEYS[2]) or ''
if g ~= ARGV[1] then return 0 end
local e = redis.call('GET', KEYS[3]) or ''
redis.call('SET', KEYS[1], e .. ':' .. g .. '\n' .. ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
)lua";

// KEYS: generation[, value]. The generation outlives every read that could still be in flight
// (and every value written under it: TTLs are far shorter than a day).
constexpr const char* kInvalidate = R"lua(
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 86400)
if KEYS[2] then redis.call('DEL', KEYS[2]) end
return 1
)lua";

}  // namespace

RedisSharedCache::RedisSharedCache(redis::RedisClient& client)
    : client_(client), put_script_(kPut), invalidate_script_(kInvalidate) {}

bool RedisSharedCache::resting() const { return clock::steady_ns() < rest_until_ns_.load(std::memory_order_relaxed); }

void RedisSharedCache::failed(const std::exception& e) {
  auto until = clock::steady_ns() + std::chrono::nanoseconds(std::chrono::seconds(1)).count();
  if (rest_until_ns_.exchange(until) < clock::steady_ns() - std::chrono::nanoseconds(std::chrono::seconds(5)).count())
    log::warn("L2 cache unavailable: reading the database", {{"error", e.what()}});
}

bool RedisSharedCache::settle_lost_invalidation() {
  if (!lost_invalidation_.load(std::memory_order_acquire)) return true;
  try {
    client_.command({"INCR", kEpochKey});
    lost_invalidation_.store(false, std::memory_order_release);
    return true;
  } catch (const std::exception& e) {
    failed(e);
    return false;
  }
}

SharedCache::Lookup RedisSharedCache::get(std::string_view key, std::string_view generation_key) {
  Lookup out;
  if (resting() || !settle_lost_invalidation()) {
    out.available = false;
    return out;
  }
  try {
    auto r = client_.command({"MGET", key, generation_key, kEpochKey});
    if (!r.is_array() || r.elements.size() != 3) throw redis::RedisError("MGET: unexpected reply");
    if (r.elements[1].is_string()) out.generation = std::move(r.elements[1].str);
    std::string stamp = (r.elements[2].is_string() ? r.elements[2].str : "") + ":" + out.generation;
    if (r.elements[0].is_string()) {
      std::string_view stored = r.elements[0].str;
      auto nl = stored.find('\n');
      if (nl != std::string_view::npos && stored.substr(0, nl) == stamp) out.value = std::string(stored.substr(nl + 1));
    }
  } catch (const std::exception& e) {
    failed(e);
    out = Lookup{};
    out.available = false;
  }
  return out;
}

void RedisSharedCache::put(std::string_view key, std::string_view generation_key, std::string_view generation,
                           std::string_view value, std::chrono::seconds ttl) {
  if (resting() || !settle_lost_invalidation()) return;
  try {
    std::string ttl_text = std::to_string(ttl.count());
    client_.eval_script(put_script_, {key, generation_key, kEpochKey}, {generation, value, ttl_text});
  } catch (const std::exception& e) {
    failed(e);
  }
}

void RedisSharedCache::invalidate(std::string_view key, std::string_view generation_key) {
  if (resting()) {
    lost_invalidation_.store(true, std::memory_order_release);
    return;
  }
  try {
    if (key.empty())
      client_.eval_script(invalidate_script_, {generation_key}, {});
    else
      client_.eval_script(invalidate_script_, {generation_key, key}, {});
  } catch (const std::exception& e) {
    lost_invalidation_.store(true, std::memory_order_release);
    failed(e);
  }
}

void RedisSharedCache::invalidate_all() {
  lost_invalidation_.store(true, std::memory_order_release);
  settle_lost_invalidation();
}

}  // namespace archon::cluster
