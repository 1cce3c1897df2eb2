// Outbound HTTP POSTs to URLs other people chose (webhook endpoints), through libcurl, guarded:
// only http and https; no proxies from the environment, no redirects followed; bounded connect
// and total time and response size; and every address curl is about to connect to is checked
// against the DestinationPolicy at connect time (the open-socket hook), so a name that resolved
// to a public address when registered and to 127.0.0.1 now (DNS rebinding) is still refused.
// post() is thread-safe (a handle per call).
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "net/destination_policy.hpp"

namespace archon::net {

struct OutboundOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{15000};
  std::size_t max_response_bytes = 65536;
};

struct OutboundResponse {
  int status = 0;            // 0: no HTTP answer
  std::string body;          // at most max_response_bytes
  std::int64_t latency_ms = 0;
  std::string error;         // empty when an HTTP answer arrived
  bool blocked = false;      // refused by the destination policy
};

class OutboundHttp {
 public:
  OutboundHttp(DestinationPolicy policy, OutboundOptions options);

  // A URL acceptable as a destination: http(s), a host, no credentials, no fragment, and (when
  // `resolve`) a host whose every address the policy permits. nullopt when acceptable, else the
  // problem in one line for people.
  std::optional<std::string> check_url(const std::string& url, bool resolve = true) const;

  OutboundResponse post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& body) const;

  const DestinationPolicy& policy() const { return policy_; }

 private:
  DestinationPolicy policy_;
  OutboundOptions options_;
};

}  // namespace archon::net
