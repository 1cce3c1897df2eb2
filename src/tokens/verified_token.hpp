// A token whose signature and claims have been checked: what handlers and the verified-token
// cache hold. Immutable; shared between threads through shared_ptr<const>.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "tokens/token_kind.hpp"

namespace archon::tokens {

struct VerifiedToken {
  TokenKind kind;
  std::string kid;
  std::string jti;
  std::string subject;
  std::string session_id;  // empty when the token carries none
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
  // Agent tokens: the token's agent_id, then its ancestors' from the act chain. Any of them on
  // the family deny-list kills the token.
  std::vector<std::string> lineage;
  boost::json::object claims;  // the whole claims set
};

}  // namespace archon::tokens
