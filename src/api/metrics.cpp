// GET /metrics: Prometheus text exposition.
#include "api/route_table.hpp"
#include "http/exchange.hpp"

namespace archon::api {
namespace {

boost::asio::awaitable<void> metrics(http::Exchange& ex, const Services& svc, const CallerToken&) {
  ex.reply_raw(http::Status::ok, "text/plain; version=0.0.4; charset=utf-8", svc.metrics->render_prometheus());
  co_return;
}

}  // namespace

void register_metrics_routes(http::Router& router, const Services& svc) {
  // Scraped from the internal network; never limited.
  add_routes(router, svc,
             {{http::Verb::get, "/metrics", tier::kNone, access::kInternalNetwork, metrics, {.in_memory_only = true}}});
}

}  // namespace archon::api
