// CORS from the spec's `cors:` block: exact origin allow-list, never a reflected arbitrary
// origin, credentials only for listed origins. Immutable after construction; thread-safe.
#pragma once
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/config.hpp"
#include "http/types.hpp"

namespace archon::http {

class CorsPolicy {
 public:
  explicit CorsPolicy(const CorsConfig& config);

  bool origin_allowed(std::string_view origin) const;
  bool method_allowed(std::string_view method) const;

  // Adds ACAO/credentials/expose/Vary for a listed origin on an ordinary response.
  void apply_to_response(std::string_view origin, Response& res) const;
  // Adds the preflight headers (call only when origin and method are allowed).
  void apply_to_preflight(std::string_view origin, Response& res) const;

 private:
  std::unordered_set<std::string> origins_;
  std::unordered_set<std::string> methods_;
  std::string allow_methods_;
  std::string allow_headers_;
  std::string expose_headers_;
  std::string max_age_;
};

}  // namespace archon::http
