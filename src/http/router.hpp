// Maps (method, path) to a handler by route template ("/api/v2/users/{id}"). Built once at
// start-up, then read-only and safe to share between I/O threads.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include "core/errors.hpp"
#include "http/json_body.hpp"
#include "http/types.hpp"

namespace archon::http {

class Exchange;
using Handler = std::function<boost::asio::awaitable<void>(Exchange&)>;

// How the pipeline treats a route before its handler runs.
struct RouteOptions {
  // The body must be application/json, parse strictly, and satisfy `schema` (when given).
  bool json_body = false;
  std::shared_ptr<const BodySchema> schema;
  // Step 4 of the spec's order for JSON routes: runs after the Content-Type check and before
  // the body is parsed, so an unauthenticated caller learns nothing about body validation.
  std::function<std::optional<ApiError>(Exchange&)> authenticate;
  // Public, credential-free documents (Swagger UI, JWKS) may be cached this long; everything
  // else is Cache-Control: no-store.
  std::chrono::seconds cache_max_age{0};
  // Content-Security-Policy relaxed for Swagger UI's inline styles and data: images.
  bool docs_page = false;
  // The admin console's page and assets: scripts and styles from this origin only, nothing
  // framed, no plugins, no <base>, forms only back here.
  bool console_page = false;
  // The rate-limit tier of the spec's rate_limits block ("authentication.login"); empty = none.
  std::string rate_limit_tier;
  // Key the tier's principal limit by the client address: the route's caller has no identity
  // the handler could name (refresh and revoke present only a token).
  bool rate_limit_by_address = false;
  // The handler never waits on the store (documents, metrics, keys held in memory): it runs on
  // the I/O thread instead of a worker.
  bool in_memory_only = false;
  // The handler commits to the store before it answers. Unset: Router::add decides by method
  // (POST, PUT, PATCH and DELETE commit). With the embedded store only these handlers leave the
  // I/O threads, for the worker threads, where many commits wait together and share one fsync
  // (SqliteDatabase's group commit); everything else answers from memory or a local read.
  std::optional<bool> commits;
};

struct Route {
  Verb method;
  std::string path_template;
  std::vector<std::string> segments;  // "{name}" marks a parameter
  Handler handler;
  RouteOptions options;
};

class Router {
 public:
  void add(Verb method, std::string path_template, Handler handler, RouteOptions options = {});

  struct Match {
    const Route* route = nullptr;  // null: no route for this method (see `allowed`)
    std::vector<std::pair<std::string_view, std::string>> params;
    bool path_exists = false;      // some route matches the path, for 404 vs 405
    std::string_view path_template;  // a template matching the path (for logs and metrics)
    std::vector<Verb> allowed;     // methods for the path, incl. HEAD (with GET) and OPTIONS
  };
  // HEAD matches a GET route. `path` is the decoded-as-is path without the query.
  Match match(Verb method, std::string_view path) const;

  // Visits every route to adjust its options (start-up only, before serving).
  void for_each_route(const std::function<void(Route&)>& fn) {
    for (auto& r : routes_) fn(r);
  }

  // "GET, HEAD, OPTIONS"
  static std::string allow_header(const std::vector<Verb>& methods);
  // [{"method":"GET","path":"/health"}, ...] for `archon-auth routes`.
  boost::json::array describe() const;

 private:
  std::vector<Route> routes_;
};

}  // namespace archon::http
