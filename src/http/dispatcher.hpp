// The request pipeline, independent of sockets: request id, API version, routing (404/405,
// HEAD, OPTIONS and CORS preflight), the spec's validation order for JSON routes, the handler,
// then the envelope, security and CORS headers, metrics and the access log.
// Immutable after construction; handle() may run concurrently on every I/O thread.
#pragma once
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/errors.hpp"
#include "http/client_address.hpp"
#include "http/cors.hpp"
#include "http/request_limiter.hpp"
#include "http/router.hpp"
#include "http/types.hpp"
#include "observability/metrics.hpp"

namespace archon::http {

// Which handlers leave the I/O threads for the worker pool.
enum class OffloadPolicy {
  kStoreRoutes,      // every route not in_memory_only (a networked store: any read may wait)
  kCommittingRoutes  // only routes that commit (the embedded store: reads are local, commits fsync)
};

class Dispatcher {
 public:
  // `limiter` (may be null: no rate limits) enforces routes' rate-limit tiers; `proxies` are
  // the peers whose forwarding headers name the client.
  // `workers` (may be null: handlers run on the I/O thread) runs the handlers `offload` names,
  // and every handler whose rate limit is counted remotely.
  Dispatcher(const Router& router, CorsPolicy cors, observability::Metrics& metrics, bool access_log,
             const RequestLimiter* limiter = nullptr, TrustedProxies proxies = {},
             boost::asio::thread_pool* workers = nullptr, OffloadPolicy offload = OffloadPolicy::kStoreRoutes);

  // Answers one complete request. Never throws; a handler's exception becomes a 500 envelope.
  boost::asio::awaitable<Response> handle(const Request& request, std::string client_address) const;

  // Answers a request the connection could not read whole (413, 431, 400, 408). `header` is the
  // part that was parsed, if any (for the request id and Origin).
  Response protocol_error(ErrorCode code, const Request* header, std::string client_address) const;

 private:
  struct Finish {
    bool is_api = false;
    bool head = false;
    const RouteOptions* route_options = nullptr;
  };
  // The route's authentication hook, body validation and handler; leaves the answer in `ex`.
  boost::asio::awaitable<void> run_route(const Route& route, Exchange& ex) const;
  // run_route on a worker thread when the route may wait on the store or Redis, else here.
  boost::asio::awaitable<void> run_route_where_it_belongs(const Route& route, Exchange& ex) const;
  // OPTIONS: the Allow header, and the CORS preflight answer when one is asked for.
  void answer_options(const Request& request, const Router::Match& match, RequestContext& ctx, Response& res,
                      Finish& how) const;
  // The handler's answer (or the error it gave) onto the response.
  void write_outcome(Exchange& ex, RequestContext& ctx, Response& res) const;
  void finalize(const Request& request, RequestContext& ctx, Response& res, const Finish& how) const;
  void write_error(const ApiError& error, RequestContext& ctx, Response& res) const;

  const Router& router_;
  CorsPolicy cors_;
  observability::Metrics& metrics_;
  bool access_log_;
  const RequestLimiter* limiter_;
  TrustedProxies proxies_;
  boost::asio::thread_pool* workers_;
  OffloadPolicy offload_;
};

}  // namespace archon::http
