#include "http/rate_limit_policy.hpp"

#include <algorithm>
#include <chrono>

#include "core/ip_networks.hpp"

namespace archon::http {

using ratelimit::GcraRate;
using ratelimit::LimitScope;
using ratelimit::LocalRateLimiter;
using ratelimit::LimitOutcome;
namespace {

bool is_address_dimension(const std::string& name) { return name == "per_ip" || name == "global"; }

std::string window_text(std::int64_t seconds) {
  switch (seconds) {
    case 1: return "1 second";
    case 60: return "1 minute";
    case 3600: return "1 hour";
    case 86400: return "1 day";
    default: return std::to_string(seconds) + " seconds";
  }
}

std::int64_t ceil_seconds(std::int64_t ns) { return ns <= 0 ? 0 : (ns + 999'999'999) / 1'000'000'000; }

}  // namespace

RateLimitPolicy::RateLimitPolicy(const std::map<std::string, RateLimitTier>& tiers, std::size_t max_keys_per_scope,
                                 observability::Metrics& metrics)
    : metrics_(metrics) {
  std::vector<LimitScope> scopes;
  for (const auto& [name, config] : tiers) {
    Tier tier;
    tier.name = name;
    tier.short_name = name.substr(name.find('.') + 1);
    for (const auto& [dim_name, spec] : config.limits) {
      Dimension d;
      d.name = dim_name;
      d.scope = scopes.size();
      d.quota = spec.count;
      d.window_seconds = spec.window.count();
      bool principal = !is_address_dimension(dim_name);
      // The tier's burst bounds its principal dimension; everything else bursts to its quota.
      d.capacity = principal && config.burst ? *config.burst : spec.count;
      d.policy = std::to_string(d.quota) + ";w=" + std::to_string(d.window_seconds);
      if (d.capacity != d.quota) d.policy += ";burst=" + std::to_string(d.capacity);
      d.window_text = window_text(d.window_seconds);
      const std::int64_t window_ns = d.window_seconds * 1'000'000'000;
      GcraRate rate{std::max<std::int64_t>(1, window_ns / static_cast<std::int64_t>(d.quota)),
                    static_cast<std::int64_t>(d.capacity)};
      scopes.push_back({name + ":" + dim_name, rate});
      if (principal) tier.principal = std::move(d);
      else tier.address.push_back(std::move(d));
    }
    // per_ip before global: one noisy address is refused by its own limit before it takes a
    // (refunded, but momentarily held) share of everyone's.
    std::stable_sort(tier.address.begin(), tier.address.end(),
                     [](const Dimension& a, const Dimension& b) { return a.name == "per_ip" && b.name != "per_ip"; });
    tiers_.emplace(name, std::move(tier));
  }
  scopes_ = scopes.size();
  scope_list_ = scopes;
  limiter_ = std::make_unique<LocalRateLimiter>(std::move(scopes), max_keys_per_scope);
  active_ = limiter_.get();
}

const RateLimitPolicy::Tier* RateLimitPolicy::find(std::string_view name) const {
  auto it = tiers_.find(name);
  return it == tiers_.end() ? nullptr : &it->second;
}

std::optional<ApiError> RateLimitPolicy::admit_address(std::string_view tier_name, bool principal_by_address,
                                                       RequestContext& ctx) const {
  const Tier* tier = find(tier_name);
  if (!tier) return std::nullopt;
  std::vector<Check> checks = address_checks(*tier, ctx);
  if (principal_by_address && tier->principal) {
    checks.push_back({&*tier->principal, "ip:" + address_limit_key(ctx.client_address)});
    ctx.subject_limited = true;
  }
  auto refused = apply(*tier, checks, ctx, {});
  ctx.address_limited = !refused;
  return refused;
}

std::vector<RateLimitPolicy::Check> RateLimitPolicy::address_checks(const Tier& tier,
                                                                   const RequestContext& ctx) const {
  const std::string address_key = address_limit_key(ctx.client_address);
  std::vector<Check> checks;
  for (const auto& d : tier.address) checks.push_back({&d, d.name == "global" ? std::string("*") : address_key});
  return checks;
}

std::optional<ApiError> RateLimitPolicy::admit_subject(std::string_view tier_name, std::string_view subject,
                                                       RequestContext& ctx) const {
  const Tier* tier = find(tier_name);
  if (!tier || !tier->principal) return std::nullopt;
  // A refusal here also gives back what the address check of this request took, so a request
  // refused for the account does not cost the address one of its own.
  std::vector<Check> taken;
  if (ctx.address_limited) taken = address_checks(*tier, ctx);
  return apply(*tier, {{&*tier->principal, std::string(subject)}}, ctx, taken);
}

std::optional<ApiError> RateLimitPolicy::apply(const Tier& tier, const std::vector<Check>& checks,
                                               RequestContext& ctx,
                                               const std::vector<Check>& refund_if_refused) const {
  using namespace std::chrono;
  const std::int64_t now_ns = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
  const std::int64_t now_epoch_ns = duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
  auto info_for = [&](const Dimension& d, const LimitOutcome& o) {
    RateLimitInfo info;
    info.limit = d.capacity;
    info.remaining = static_cast<std::uint64_t>(std::max<std::int64_t>(0, o.remaining));
    info.reset_after_seconds = ceil_seconds(o.full_after_ns);
    info.reset_epoch_seconds = ceil_seconds(now_epoch_ns + o.full_after_ns);
    info.policy = d.policy;
    info.name = tier.short_name;
    info.quota = d.quota;
    info.window_seconds = d.window_seconds;
    return info;
  };
  auto keep_tighter = [&](const RateLimitInfo& info) {
    if (!ctx.rate_limit || info.remaining <= ctx.rate_limit->remaining) ctx.rate_limit = info;
  };

  for (std::size_t i = 0; i < checks.size(); ++i) {
    const Dimension& d = *checks[i].dimension;
    LimitOutcome o = active_->acquire(d.scope, checks[i].key, now_ns);
    if (o.kind == LimitOutcome::Kind::kAllowed) {
      keep_tighter(info_for(d, o));
      continue;
    }
    for (std::size_t j = 0; j < i; ++j) active_->refund(checks[j].dimension->scope, checks[j].key);
    for (const auto& c : refund_if_refused) active_->refund(c.dimension->scope, c.key);
    RateLimitInfo info = info_for(d, o);
    info.remaining = 0;
    ctx.rate_limit = info;
    metrics_.count_rate_limit_exceeded(tier.name);
    const std::int64_t retry_after = std::max<std::int64_t>(1, ceil_seconds(o.retry_after_ns));
    boost::json::object details{{"limit", d.quota},
                                {"window", d.window_text},
                                {"retry_after", retry_after},
                                {"scope", d.name}};
    if (d.capacity != d.quota) details["burst"] = d.capacity;
    if (o.kind == LimitOutcome::Kind::kOverflow)
      return ApiError::make(ErrorCode::kRateLimitExceeded,
                            "Too many distinct clients are being limited; retry later", std::move(details));
    return ApiError::make(ErrorCode::kRateLimitExceeded, std::move(details));
  }
  return std::nullopt;
}

}  // namespace archon::http
