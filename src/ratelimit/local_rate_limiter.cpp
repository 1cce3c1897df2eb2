#include "ratelimit/local_rate_limiter.hpp"

#include <algorithm>
#include <limits>
#include <new>
#include <stdexcept>

#include <sys/mman.h>

#include <sodium.h>

namespace archon::ratelimit {

LocalRateLimiter::LocalRateLimiter(std::vector<LimitScope> scopes, std::size_t max_keys) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  randombytes_buf(hash_key_.data(), hash_key_.size());
  std::size_t want_sets = (std::max<std::size_t>(max_keys, kWays) + kWays - 1) / kWays;
  sets_ = 1;
  while (sets_ < want_sets) sets_ <<= 1;
  for (auto& scope : scopes) {
    auto table = std::make_unique<Table>();
    table->rate = scope.rate;
    // Anonymous pages straight from the kernel: zeroed on first touch, so untouched sets cost
    // no RSS whatever the allocator (mimalloc's calloc touched all 11 x 2 MiB at start-up).
    void* pages = mmap(nullptr, bytes_per_scope(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED) throw std::bad_alloc();
    table->slots = static_cast<Slot*>(pages);
    tables_.push_back(std::move(table));
  }
}

LocalRateLimiter::~LocalRateLimiter() {
  for (auto& t : tables_) munmap(t->slots, bytes_per_scope());
}

std::uint64_t LocalRateLimiter::tag_of(std::string_view key) const {
  std::uint64_t h = 0;
  crypto_shorthash(reinterpret_cast<unsigned char*>(&h), reinterpret_cast<const unsigned char*>(key.data()),
                   key.size(), hash_key_.data());
  return h ? h : 1;
}

LimitOutcome LocalRateLimiter::acquire(std::size_t scope, std::string_view key, std::int64_t now_ns) {
  Table& t = *tables_.at(scope);
  const std::uint64_t tag = tag_of(key);
  const std::size_t set = static_cast<std::size_t>(tag) & (sets_ - 1);
  Slot* ways = t.slots + set * kWays;
  std::lock_guard lock(t.locks[set % t.locks.size()]);

  Slot* slot = nullptr;
  Slot* free_slot = nullptr;
  std::int64_t soonest_free = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 0; i < kWays; ++i) {
    if (ways[i].tag == tag) {
      slot = &ways[i];
      break;
    }
    if (ways[i].tag == 0 || ways[i].tat <= now_ns) {
      if (!free_slot) free_slot = &ways[i];
    } else {
      soonest_free = std::min(soonest_free, ways[i].tat);
    }
  }
  if (!slot) {
    if (!free_slot) {
      LimitOutcome full;
      full.kind = LimitOutcome::Kind::kOverflow;
      full.retry_after_ns = soonest_free - now_ns;
      full.full_after_ns = full.retry_after_ns;
      return full;
    }
    slot = free_slot;
    slot->tag = tag;
    slot->tat = now_ns;  // a fresh key: a full bucket
  }
  GcraResult r = gcra_step(slot->tat, now_ns, t.rate);
  LimitOutcome out;
  out.kind = r.allowed ? LimitOutcome::Kind::kAllowed : LimitOutcome::Kind::kLimited;
  out.remaining = r.remaining;
  out.retry_after_ns = r.retry_after_ns;
  out.full_after_ns = r.full_after_ns;
  if (r.allowed) slot->tat = r.new_tat;
  return out;
}

void LocalRateLimiter::refund(std::size_t scope, std::string_view key) {
  Table& t = *tables_.at(scope);
  const std::uint64_t tag = tag_of(key);
  const std::size_t set = static_cast<std::size_t>(tag) & (sets_ - 1);
  Slot* ways = t.slots + set * kWays;
  std::lock_guard lock(t.locks[set % t.locks.size()]);
  for (std::size_t i = 0; i < kWays; ++i)
    if (ways[i].tag == tag) {
      ways[i].tat -= t.rate.emission_ns;
      return;
    }
}

std::size_t LocalRateLimiter::live_keys(std::size_t scope, std::int64_t now_ns) const {
  Table& t = *tables_.at(scope);
  std::size_t n = 0;
  for (std::size_t set = 0; set < sets_; ++set) {
    std::lock_guard lock(t.locks[set % t.locks.size()]);
    for (std::size_t i = set * kWays; i < (set + 1) * kWays; ++i)
      if (t.slots[i].tag != 0 && t.slots[i].tat > now_ns) ++n;
  }
  return n;
}

}  // namespace archon::ratelimit
