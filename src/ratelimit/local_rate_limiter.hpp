// The in-process rate limiter: per scope, a fixed-size set-associative table of (key hash, TAT)
// slots allocated once, so memory is bounded by configuration however many distinct keys
// arrive. A key lives in one set of kWays slots chosen by a keyed SipHash of the key (the
// secret key keeps an attacker from aiming keys at one set). A slot whose TAT has passed
// holds nothing a fresh key would not, so it is free for reuse: idle keys expire by
// themselves with no sweeper. When every slot of a set is live the new key is refused
// (fail closed) rather than evicting a key that is being limited.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "ratelimit/rate_limiter.hpp"

namespace archon::ratelimit {

class LocalRateLimiter final : public RateLimiter {
 public:
  // 16 slots a set: with a quarter of max_keys live, the chance that any set of the table is
  // full (a new client refused early) is about 2 in 10,000; with 8 slots it was 1 in 7.
  static constexpr std::size_t kWays = 16;

  // `max_keys` per scope (rounded up to a power-of-two number of sets).
  LocalRateLimiter(std::vector<LimitScope> scopes, std::size_t max_keys);
  ~LocalRateLimiter() override;

  LimitOutcome acquire(std::size_t scope, std::string_view key, std::int64_t now_ns) override;
  void refund(std::size_t scope, std::string_view key) override;

  // Bytes of slot storage reserved per scope (the memory bound).
  std::size_t bytes_per_scope() const { return sets_ * kWays * sizeof(Slot); }
  std::size_t slots_per_scope() const { return sets_ * kWays; }
  // Slots holding a key whose TAT is after now_ns (for tests and health).
  std::size_t live_keys(std::size_t scope, std::int64_t now_ns) const;

 private:
  struct Slot {
    std::uint64_t tag = 0;  // 0 = never used
    std::int64_t tat = 0;
  };
  struct Table {
    GcraRate rate;
    Slot* slots = nullptr;  // sets_ * kWays, anonymous pages zeroed lazily by the OS
    std::array<std::mutex, 64> locks;
  };
  std::uint64_t tag_of(std::string_view key) const;

  std::size_t sets_ = 0;
  std::vector<std::unique_ptr<Table>> tables_;
  std::array<unsigned char, 16> hash_key_{};
};

}  // namespace archon::ratelimit
