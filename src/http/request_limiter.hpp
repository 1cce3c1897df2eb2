// The rate-limit step of the pipeline as the HTTP layer sees it. Routes name a tier of the
// spec's rate_limits block; the dispatcher applies the tier's address-keyed limits before
// anything else, and handlers apply its principal-keyed limit (per_user, per_email,
// per_agent) once they know the principal, through Exchange::limit_subject.
#pragma once
#include <optional>
#include <string_view>

#include "core/errors.hpp"
#include "http/types.hpp"

namespace archon::http {

class RequestLimiter {
 public:
  virtual ~RequestLimiter() = default;
  // per_ip and global limits of `tier`; with `principal_by_address`, the tier's principal
  // limit too, keyed by the client address (routes whose caller has no identity yet).
  // nullopt = admitted. Records what it decided in ctx.rate_limit.
  virtual std::optional<ApiError> admit_address(std::string_view tier, bool principal_by_address,
                                                RequestContext& ctx) const = 0;
  virtual std::optional<ApiError> admit_subject(std::string_view tier, std::string_view subject,
                                                RequestContext& ctx) const = 0;
  // The counts live in another process (Redis): a decision may wait on the network, so the
  // dispatcher never asks from an I/O thread when it has workers.
  virtual bool remote() const { return false; }
};

}  // namespace archon::http
