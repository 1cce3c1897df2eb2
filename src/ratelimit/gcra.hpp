// The Generic Cell Rate Algorithm (GCRA, ITU-T I.371), the limiter's whole arithmetic.
// A key's state is one number, its theoretical arrival time (TAT): the instant at which its
// bucket would be full again. A request is allowed when, after adding one emission interval,
// the TAT is at most `capacity` intervals ahead of now. There are no windows, so there is no
// double burst at window edges: after a burst the client earns one request per interval.
// A TAT at or before now is the same as a fresh key, which is what lets idle keys be dropped.
#pragma once
#include <algorithm>
#include <cstdint>

namespace archon::ratelimit {

// "count per window, at most capacity at once", in nanoseconds.
struct GcraRate {
  std::int64_t emission_ns = 0;  // window / count: the time to earn one request back
  std::int64_t capacity = 0;     // the burst: requests allowed at once from a full bucket
};

struct GcraResult {
  bool allowed = false;
  std::int64_t new_tat = 0;          // store this when allowed
  std::int64_t remaining = 0;        // requests still allowed right now
  std::int64_t retry_after_ns = 0;   // when refused: time until one request is allowed
  std::int64_t full_after_ns = 0;    // time until the bucket is full again (the "reset")
};

inline GcraResult gcra_step(std::int64_t stored_tat, std::int64_t now, const GcraRate& rate) {
  const std::int64_t tat = std::max(stored_tat, now);
  const std::int64_t window = rate.emission_ns * rate.capacity;  // burst tolerance + one interval
  const std::int64_t new_tat = tat + rate.emission_ns;
  const std::int64_t allow_at = new_tat - window;
  GcraResult r;
  if (now < allow_at) {
    r.allowed = false;
    r.new_tat = stored_tat;
    r.remaining = 0;
    r.retry_after_ns = allow_at - now;
    r.full_after_ns = tat - now;
    return r;
  }
  r.allowed = true;
  r.new_tat = new_tat;
  r.remaining = rate.emission_ns > 0 ? (window - (new_tat - now)) / rate.emission_ns : 0;
  r.full_after_ns = new_tat - now;
  return r;
}

}  // namespace archon::ratelimit
