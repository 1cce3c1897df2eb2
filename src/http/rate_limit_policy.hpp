// The spec's tiered rate limits applied to requests: each tier of the config's rate_limits
// block ("authentication.login", "api_access.agent", ...) becomes one limiter scope per
// dimension. Address dimensions (per_ip, global) are checked by the dispatcher before
// anything else; the principal dimension (per_user, per_email, per_agent; bounded by the
// tier's burst) once a handler knows who is asking. A request passes only if every dimension
// admits it; a dimension that refuses gives back what the others took.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "http/request_limiter.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/local_rate_limiter.hpp"

namespace archon::http {

class RateLimitPolicy final : public RequestLimiter {
 public:
  RateLimitPolicy(const std::map<std::string, RateLimitTier>& tiers, std::size_t max_keys_per_scope,
                  observability::Metrics& metrics);

  std::optional<ApiError> admit_address(std::string_view tier, bool principal_by_address,
                                        RequestContext& ctx) const override;
  std::optional<ApiError> admit_subject(std::string_view tier, std::string_view subject,
                                        RequestContext& ctx) const override;

  // The in-process limiter (always built: it is also the fallback of a shared limiter).
  ratelimit::LocalRateLimiter& limiter() const { return *limiter_; }
  // The scopes, in index order, for a shared limiter to be built over.
  const std::vector<ratelimit::LimitScope>& scopes() const { return scope_list_; }
  // Counts through `shared` (several instances, one budget) instead of the local limiter.
  // Start-up only, before serving; `shared` must outlive the policy's use.
  void use_limiter(ratelimit::RateLimiter& shared) { active_ = &shared; }
  bool remote() const override { return active_ != limiter_.get(); }
  std::size_t scope_count() const { return scopes_; }

 private:
  struct Dimension {
    std::string name;         // per_ip, global, per_user, ...
    std::size_t scope = 0;
    std::uint64_t quota = 0;  // per window
    std::uint64_t capacity = 0;
    std::int64_t window_seconds = 0;
    std::string policy;       // "1000;w=60" or "1000;w=60;burst=2000"
    std::string window_text;  // "1 minute"
  };
  struct Tier {
    std::string name;        // "authentication.login"
    std::string short_name;  // "login"
    std::vector<Dimension> address;
    std::optional<Dimension> principal;
  };
  struct Check {
    const Dimension* dimension;
    std::string key;
  };
  std::optional<ApiError> apply(const Tier& tier, const std::vector<Check>& checks, RequestContext& ctx,
                                const std::vector<Check>& refund_if_refused) const;
  std::vector<Check> address_checks(const Tier& tier, const RequestContext& ctx) const;
  const Tier* find(std::string_view name) const;

  std::map<std::string, Tier, std::less<>> tiers_;
  std::size_t scopes_ = 0;
  std::vector<ratelimit::LimitScope> scope_list_;
  std::unique_ptr<ratelimit::LocalRateLimiter> limiter_;
  ratelimit::RateLimiter* active_ = nullptr;
  observability::Metrics& metrics_;
};

}  // namespace archon::http
