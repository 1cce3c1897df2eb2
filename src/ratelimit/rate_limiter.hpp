// The rate limiter's contract: one atomic GCRA step per (scope, key). A scope is one dimension
// of one tier ("authentication.login:per_ip") with its rate; keys are client addresses, user
// ids, normalized emails or agent ids. The in-process limiter implements it now; a shared
// (Redis) limiter for several instances implements the same contract.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ratelimit/gcra.hpp"

namespace archon::ratelimit {

struct LimitScope {
  std::string name;  // "authentication.login:per_ip"
  GcraRate rate;
};

struct LimitOutcome {
  enum class Kind {
    kAllowed,
    kLimited,   // this key used its allowance
    kOverflow,  // no room to track one more key: the scope fails closed
  };
  Kind kind = Kind::kAllowed;
  std::int64_t remaining = 0;
  std::int64_t retry_after_ns = 0;
  std::int64_t full_after_ns = 0;
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // One request by `key` in scope `scope` (an index into the scopes given at construction),
  // at monotonic time `now_ns`. Atomic: N concurrent calls never admit more than the rate.
  virtual LimitOutcome acquire(std::size_t scope, std::string_view key, std::int64_t now_ns) = 0;
  // Gives back one request admitted a moment ago (another dimension of the same tier refused
  // the request), so a refused request costs nothing. Never admits more than acquire did.
  virtual void refund(std::size_t scope, std::string_view key) = 0;
};

}  // namespace archon::ratelimit
