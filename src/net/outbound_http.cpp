#include "net/outbound_http.hpp"

#include <sys/socket.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>

#include <boost/url/parse.hpp>
#include <curl/curl.h>

#include "net/curl_global.hpp"

namespace archon::net {
namespace {

struct Transfer {
  const DestinationPolicy* policy;
  std::size_t max_bytes;
  std::string body;
  bool blocked = false;
};

// curl is about to open a socket for this address: the last word on where we connect.
curl_socket_t open_checked_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  boost::asio::ip::address target;
  if (address->family == AF_INET) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(&address->addr);
    target = boost::asio::ip::address_v4(ntohl(sin->sin_addr.s_addr));
  } else if (address->family == AF_INET6) {
    auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&address->addr);
    boost::asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), sin6->sin6_addr.s6_addr, 16);
    target = boost::asio::ip::address_v6(bytes);
  } else {
    t->blocked = true;
    return CURL_SOCKET_BAD;
  }
  if (!t->policy->permits(target)) {
    t->blocked = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t n = size * count;
  std::size_t room = t->max_bytes - std::min(t->max_bytes, t->body.size());
  t->body.append(data, std::min(n, room));
  return n;  // the rest is read and dropped: the status is what counts, the body only logged
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

OutboundHttp::OutboundHttp(DestinationPolicy policy, OutboundOptions options)
    : policy_(std::move(policy)), options_(options) {
  ensure_curl_initialized();
}

std::optional<std::string> OutboundHttp::check_url(const std::string& url, bool resolve) const {
  if (url.size() > 2000) return std::string("must be at most 2000 characters");
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return std::string("must be an absolute http or https URL");
  auto scheme = parsed->scheme_id();  // case-insensitive: "HTTPS" is https
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https)
    return std::string("must use http or https");
  if (parsed->has_userinfo()) return std::string("must not carry credentials");
  if (parsed->has_fragment()) return std::string("must not have a fragment");
  std::string host;
  switch (parsed->host_type()) {
    case boost::urls::host_type::ipv4: host = parsed->host_ipv4_address().to_string(); break;
    case boost::urls::host_type::ipv6: host = parsed->host_ipv6_address().to_string(); break;
    case boost::urls::host_type::name: host = parsed->host_name(); break;
    default: return std::string("must name a host");
  }
  if (host.empty()) return std::string("must name a host");
  if (!resolve) return std::nullopt;
  auto addresses = DestinationPolicy::resolve(host);
  if (!addresses) return addresses.error();
  for (const auto& a : *addresses)
    if (!policy_.permits(a))
      return "resolves to " + a.to_string() +
             ", a loopback, private, link-local or otherwise internal address (not allowed)";
  return std::nullopt;
}

OutboundResponse OutboundHttp::post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                                    const std::string& body) const {
  OutboundResponse out;
  if (auto problem = check_url(url, false)) {
    out.error = "url " + *problem;
    return out;
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    out.error = "libcurl: cannot create a handle";
    return out;
  }
  CURL* c = curl.get();
  Transfer transfer{&policy_, options_.max_response_bytes, {}};
  std::unique_ptr<curl_slist, SlistDeleter> list;
  for (const auto& [name, value] : headers) list.reset(curl_slist_append(list.release(), (name + ": " + value).c_str()));
  list.reset(curl_slist_append(list.release(), "Expect:"));  // no 100-continue round trip
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_PROXY, "");  // never a proxy from the environment
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_checked_socket);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "archon-auth-webhooks/1");

  auto started = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(c);
  out.latency_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  out.status = static_cast<int>(status);
  out.body = std::move(transfer.body);
  out.blocked = transfer.blocked;
  if (transfer.blocked) out.error = "destination address not allowed";
  else if (rc != CURLE_OK) out.error = error[0] ? error : curl_easy_strerror(rc);
  return out;
}

}  // namespace archon::net
