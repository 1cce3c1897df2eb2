// GET /api/v2/openapi.json, /docs and /docs/{asset}: the OpenAPI document and Swagger UI,
// both compiled into the binary (no CDN, no files to deploy).
#include "core/embedded_assets.hpp"
#include "api/route_table.hpp"
#include "core/errors.hpp"
#include "http/exchange.hpp"

namespace archon::api {
namespace {

std::string_view content_type_for(std::string_view name) {
  auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".png")) return "image/png";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

void serve_asset(http::Exchange& ex, std::string_view name) {
  auto asset = assets::find(name);
  if (!asset) {
    ex.fail(ApiError::make(ErrorCode::kResourceNotFound));
    return;
  }
  ex.reply_raw(http::Status::ok, std::string(content_type_for(name)), std::string(*asset));
}

boost::asio::awaitable<void> openapi_document(http::Exchange& ex, const Services&, const CallerToken&) {
  serve_asset(ex, "openapi.json");
  co_return;
}

boost::asio::awaitable<void> docs_index(http::Exchange& ex, const Services&, const CallerToken&) {
  serve_asset(ex, "docs/index.html");
  co_return;
}

boost::asio::awaitable<void> docs_asset(http::Exchange& ex, const Services&, const CallerToken&) {
  std::string name = "docs/" + std::string(ex.param("asset"));
  serve_asset(ex, name);
  co_return;
}

}  // namespace

void register_docs_routes(http::Router& router, const Services& svc) {
  using http::Verb;
  http::RouteOptions docs_page;
  docs_page.cache_max_age = std::chrono::hours(1);
  docs_page.docs_page = true;
  docs_page.in_memory_only = true;
  http::RouteOptions document;
  document.in_memory_only = true;
  add_routes(router, svc,
             {
                 {Verb::get, "/api/v2/openapi.json", tier::kDocs, access::kAnyone, openapi_document, document},
                 {Verb::get, "/docs", tier::kDocs, access::kAnyone, docs_index, docs_page},
                 {Verb::get, "/docs/{asset}", tier::kDocs, access::kAnyone, docs_asset, docs_page},
             });
}

}  // namespace archon::api
