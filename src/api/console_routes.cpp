// GET /admin and /admin/{asset}: the admin console (console/, React on the TypeScript SDK), built
// by scripts/build_console.sh and compiled into the binary like Swagger UI: no CDN, nothing to
// deploy, a strict Content-Security-Policy. The console routes inside the URL fragment
// (/admin#/users/...), so these two paths are all the server serves; it signs in with the normal
// login and calls the same API as everyone, with the signed-in user's permissions.
#include "api/route_table.hpp"
#include "core/embedded_assets.hpp"
#include "http/exchange.hpp"

namespace archon::api {
namespace {

using Task = boost::asio::awaitable<void>;

void serve(http::Exchange& ex, std::string_view name, std::string_view content_type) {
  auto asset = assets::find(name);
  if (!asset) ex.fail(ApiError::make(ErrorCode::kResourceNotFound));
  else ex.reply_raw(http::Status::ok, std::string(content_type), std::string(*asset));
}

Task console_page(http::Exchange& ex, const Services&, const CallerToken&) {
  serve(ex, "admin/index.html", "text/html; charset=utf-8");
  co_return;
}

Task console_asset(http::Exchange& ex, const Services&, const CallerToken&) {
  std::string_view name = ex.param("asset");
  if (name == "console.js") serve(ex, "admin/console.js", "text/javascript; charset=utf-8");
  else if (name == "console.css") serve(ex, "admin/console.css", "text/css; charset=utf-8");
  else ex.fail(ApiError::make(ErrorCode::kResourceNotFound));
  co_return;
}

}  // namespace

void register_console_routes(http::Router& router, const Services& svc) {
  using http::Verb;
  http::RouteOptions page;
  page.console_page = true;
  page.in_memory_only = true;  // answered from memory on the I/O thread; never cached (no-store)
  add_routes(router, svc,
             {
                 {Verb::get, "/admin", tier::kDocs, access::kAnyone, console_page, page},
                 {Verb::get, "/admin/{asset}", tier::kDocs, access::kAnyone, console_asset, page},
             });
}

}  // namespace archon::api
