// What a Redis command gives back: an owning copy of a hiredis reply (freed as soon as it is
// copied), or one of the two failures a caller must tell apart: Redis could not be reached in
// time (RedisUnavailable: retry later or fall back) and Redis refused the command (RedisError:
// WRONGTYPE, a script error; retrying will not help).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace archon::redis {

struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };

  Type type = Type::kNil;
  std::int64_t integer = 0;        // kInteger
  std::string str;                 // kString (bytes, NULs included), kStatus ("OK"), kError (the message)
  std::vector<RedisReply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
  bool is_string() const { return type == Type::kString; }
  bool is_integer() const { return type == Type::kInteger; }
  bool is_array() const { return type == Type::kArray; }
  bool is_status(std::string_view s) const { return type == Type::kStatus && str == s; }
};

// Not connected, the connection failed or dropped, a timeout, or a server that is loading or
// busy. The message names the server's target() and never its password.
class RedisUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An error reply to the command itself ("WRONGTYPE ...", "ERR ..."): the connection is fine.
class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace archon::redis
