// Where Redis is and how to log in: parsed from `redis://[[user]:password@]host[:port][/db]`
// or `unix://[[user]:password@]/path/to.sock[?db=N]`. The password is only ever in `password`:
// parse errors and target() never show it, so both are safe to log.
#pragma once
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace archon::redis {

struct RedisEndpoint {
  std::string host;       // a name or an IP address (IPv6 without brackets); empty for a unix socket
  int port = 6379;
  std::string unix_path;  // set for unix://, then host and port are unused
  int db = 0;
  std::string user;       // Redis 6 ACL user; empty means AUTH with the password alone
  std::string password;   // empty: no AUTH

  // "host:port/db" ("[::1]:6379/0", "unix:/run/redis.sock/0"): where, never who or the password.
  std::string target() const;
};

// Percent-decodes the user and password (a password with '@' or '/' must be percent-encoded).
// TLS (rediss://) is not supported and is refused rather than silently sent in clear.
Expected<RedisEndpoint, std::string> parse_redis_url(std::string_view url);

}  // namespace archon::redis
