// The spec's response envelope: {success, data, error, meta}. Pure functions; thread-safe.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "core/errors.hpp"
#include "http/types.hpp"

namespace archon::http {

struct Pagination {
  std::uint64_t page = 1;
  std::uint64_t limit = 20;
  std::uint64_t total = 0;
};

inline constexpr std::string_view kApiVersion = "2.0.0";

// meta.performance.response_time_ms is measured from ctx.started to the call.
std::string envelope_success(const boost::json::value& data, const RequestContext& ctx,
                             const std::optional<Pagination>& pagination = std::nullopt);
// trace_id is the request id, so a client quoting either finds the same log line.
std::string envelope_error(const ApiError& error, const RequestContext& ctx);

}  // namespace archon::http
