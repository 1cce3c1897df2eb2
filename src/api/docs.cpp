// GET /api/v2/openapi.json, /docs and /docs/{asset}: the OpenAPI document and Swagger UI,
// both compiled into the binary (no CDN, no files to deploy).
#include "core/embedded_assets.hpp"
#include "api/routes.hpp"
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

}  // namespace

void register_docs_routes(http::Router& router) {
  http::RouteOptions docs_page;
  docs_page.cache_max_age = std::chrono::hours(1);
  docs_page.docs_page = true;
  docs_page.in_memory_only = true;
  http::RouteOptions document;
  document.in_memory_only = true;

  router.add(
      http::Verb::get, "/api/v2/openapi.json",
      [](http::Exchange& ex) -> boost::asio::awaitable<void> {
        serve_asset(ex, "openapi.json");
        co_return;
      },
      document);
  router.add(
      http::Verb::get, "/docs",
      [](http::Exchange& ex) -> boost::asio::awaitable<void> {
        serve_asset(ex, "docs/index.html");
        co_return;
      },
      docs_page);
  router.add(
      http::Verb::get, "/docs/{asset}",
      [](http::Exchange& ex) -> boost::asio::awaitable<void> {
        std::string name = "docs/" + std::string(ex.param("asset"));
        serve_asset(ex, name);
        co_return;
      },
      docs_page);
}

}  // namespace archon::api
