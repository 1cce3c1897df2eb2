// GET /metrics: Prometheus text exposition.
#include "api/routes.hpp"
#include "http/exchange.hpp"

namespace archon::api {

void register_metrics_routes(http::Router& router, const Services& svc) {
  router.add(http::Verb::get, "/metrics", [svc](http::Exchange& ex) -> boost::asio::awaitable<void> {
    ex.reply_raw(http::Status::ok, "text/plain; version=0.0.4; charset=utf-8", svc.metrics->render_prometheus());
    co_return;
  }, http::RouteOptions{.in_memory_only = true});
}

}  // namespace archon::api
