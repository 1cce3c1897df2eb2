#include "redis/redis_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace archon::redis {
namespace {

// Error texts never quote the URL: a mistyped URL can put the password anywhere in it.
Unexpected<std::string> fail(std::string_view why) { return Unexpected(std::string("Redis URL: ") + std::string(why)); }

// A small non-negative decimal (a port or a db number); -1 if not one.
int parse_number(std::string_view s, int max) {
  if (s.empty() || s.size() > 9) return -1;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n <= max ? n : -1;
}

}  // namespace

std::string RedisEndpoint::target() const {
  std::string where = !unix_path.empty()                    ? "unix:" + unix_path
                      : host.find(':') != std::string::npos ? "[" + host + "]:" + std::to_string(port)
                                                            : host + ":" + std::to_string(port);
  return where + "/" + std::to_string(db);
}

Expected<RedisEndpoint, std::string> parse_redis_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed)
    return fail("not a valid URL (expected redis://[[user]:password@]host[:port][/db]; "
                "reserved characters in the password must be percent-encoded)");
  const boost::urls::url_view& u = *parsed;
  const bool is_unix = u.scheme() == "unix";
  if (u.scheme() == "rediss") return fail("rediss:// (TLS) is not supported");
  if (u.scheme() != "redis" && !is_unix) return fail("unsupported scheme (expected redis:// or unix://)");
  if (!u.has_authority()) return fail("missing '//' after the scheme");
  if (u.has_fragment()) return fail("unexpected '#' (percent-encode it in a password as %23)");

  RedisEndpoint ep;
  if (u.has_userinfo()) {
    ep.user = u.user();
    if (u.has_password()) ep.password = u.password();
    if (ep.password.empty() && !ep.user.empty()) return fail("a user needs a password (user:password@)");
  }

  if (is_unix) {
    if (!u.encoded_host().empty() || u.has_port())
      return fail("unix:// takes a path, not a host (unix:///path/to.sock)");
    ep.unix_path = u.path();
    if (ep.unix_path.empty() || ep.unix_path.front() != '/') return fail("unix:// needs an absolute socket path");
    for (auto param : u.params()) {
      if (param.key != "db" || !param.has_value) return fail("unix:// accepts only the query parameter db=N");
      ep.db = parse_number(param.value, 999'999'999);
      if (ep.db < 0) return fail("db must be a non-negative number");
    }
    return ep;
  }

  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
    case boost::urls::host_type::name:
      ep.host = u.host_address();
      break;
    default:
      break;
  }
  if (ep.host.empty()) return fail("missing host");
  if (u.has_port()) {
    ep.port = parse_number(u.port(), 65535);
    if (ep.port <= 0) return fail("port must be a number from 1 to 65535");
  }
  std::string path = u.path();
  if (!path.empty() && path != "/") {
    ep.db = parse_number(std::string_view(path).substr(1), 999'999'999);
    if (path.front() != '/' || ep.db < 0) return fail("the path must be a database number (/0)");
  }
  if (u.has_query()) return fail("query parameters are not supported in redis:// URLs");
  return ep;
}

}  // namespace archon::redis
