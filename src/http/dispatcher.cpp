#include "http/dispatcher.hpp"

#include <cctype>
#include <cmath>
#include <exception>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/log.hpp"
#include "core/request_id.hpp"
#include "http/http_date.hpp"
#include "http/api_version.hpp"
#include "http/exchange.hpp"
#include "http/json_body.hpp"

namespace archon::http {
namespace {

constexpr std::string_view kCsp = "default-src 'self'";
constexpr std::string_view kDocsCsp = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";
constexpr std::string_view kConsoleCsp =
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'";

std::string_view csp_for(const RouteOptions* options) {
  if (options && options->docs_page) return kDocsCsp;
  if (options && options->console_page) return kConsoleCsp;
  return kCsp;
}

void apply_security_headers(Response& res, std::string_view csp) {
  res.set("Content-Security-Policy", csp);
  res.set("X-Content-Type-Options", "nosniff");
  res.set(bhttp::field::x_frame_options, "DENY");
  res.set("X-XSS-Protection", "1; mode=block");
  res.set(bhttp::field::strict_transport_security, "max-age=31536000; includeSubDomains");
  res.set("Referrer-Policy", "strict-origin-when-cross-origin");
}

std::string_view method_label(const Request& req) {
  // Unknown methods share one label so a client cannot mint metric series.
  if (req.method() == Verb::unknown) return "OTHER";
  auto name = bhttp::to_string(req.method());
  return std::string_view(name.data(), name.size());
}

// All occurrences of a header, joined by "," (RFC 9110 §5.3).
std::string joined_header(const Request& req, std::string_view name) {
  std::string out;
  for (auto [it, end] = req.equal_range(name); it != end; ++it) {
    if (!out.empty()) out += ',';
    out.append(it->value().data(), it->value().size());
  }
  return out;
}

RequestContext make_context(const Request* req, std::string peer_address, const TrustedProxies& proxies) {
  RequestContext ctx;
  ctx.client_address = proxies.empty() || !req
                           ? std::move(peer_address)
                           : resolve_client_address(peer_address, joined_header(*req, "X-Forwarded-For"),
                                                    joined_header(*req, "Forwarded"), proxies);
  if (req) {
    auto it = req->find("X-Request-ID");
    if (it != req->end() && is_acceptable_request_id(it->value())) ctx.request_id = std::string(it->value());
  }
  if (ctx.request_id.empty()) ctx.request_id = generate_request_id();
  return ctx;
}

}  // namespace

Dispatcher::Dispatcher(const Router& router, CorsPolicy cors, observability::Metrics& metrics, bool access_log,
                       const RequestLimiter* limiter, TrustedProxies proxies, boost::asio::thread_pool* workers,
                       OffloadPolicy offload)
    : router_(router),
      cors_(std::move(cors)),
      metrics_(metrics),
      access_log_(access_log),
      limiter_(limiter),
      proxies_(std::move(proxies)),
      workers_(workers),
      offload_(offload) {}

void Dispatcher::write_error(const ApiError& error, RequestContext& ctx, Response& res) const {
  res.result(error.http_status());
  // Every 503 and 429 tells the client when to come back (the handler may have set a better value).
  if ((error.code == ErrorCode::kSystemServiceUnavailable || error.code == ErrorCode::kSystemDatabaseError ||
       error.code == ErrorCode::kRateLimitExceeded) &&
      !res.count(bhttp::field::retry_after)) {
    auto hint = error.details.if_contains("retry_after_seconds");
    if (!hint) hint = error.details.if_contains("retry_after");
    res.set(bhttp::field::retry_after, hint && hint->is_int64() ? std::to_string(hint->get_int64()) : "1");
  }
  res.set(bhttp::field::content_type, "application/json");
  res.body() = envelope_error(error, ctx);
}

namespace {

// Request smuggling: a Transfer-Encoding other than plain "chunked", or one beside a
// Content-Length, makes the body's end ambiguous (RFC 9112 §6.3).
bool ambiguous_body_length(const Request& request) {
  auto te = request.find(bhttp::field::transfer_encoding);
  if (te == request.end()) return false;
  std::string value(te->value());
  for (auto& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value != "chunked" || request.count(bhttp::field::content_length);
}

// The path of the request target; absolute-form ("GET http://host/path") too, which RFC 9112
// §3.2.2 obliges servers to accept. Empty when it is not an absolute path.
std::string_view target_path(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.substr(0, scheme.size()) == scheme) {
      auto slash = target.find('/', scheme.size());
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  std::string_view path = target.substr(0, target.find('?'));
  if (path.empty() || path.front() != '/') return {};
  return path;
}

}  // namespace

boost::asio::awaitable<Response> Dispatcher::handle(const Request& request, std::string client_address) const {
  RequestContext ctx = make_context(&request, std::move(client_address), proxies_);
  Response res{Status::ok, request.version()};
  Finish how;
  how.head = request.method() == Verb::head;
  // Every early answer goes through here: the error, then the common headers and the log line.
  auto refuse = [&](const ApiError& error) -> Response {
    write_error(error, ctx, res);
    finalize(request, ctx, res, how);
    return std::move(res);
  };

  if (ambiguous_body_length(request)) {
    res.keep_alive(false);  // refuse and close
    co_return refuse(ApiError::make(ErrorCode::kHttpBadRequest, {{"transfer_encoding", "Only chunked is accepted"}}));
  }
  std::string_view path = target_path(request.target());
  if (path.empty())
    co_return refuse(ApiError::make(ErrorCode::kHttpBadRequest, {{"target", "Must be an absolute path"}}));

  auto versioned = resolve_api_version(path, request);
  if (!versioned) {
    how.is_api = true;
    if (versioned.error().code == ErrorCode::kApiVersionSunset) {
      res.set("Sunset", kSunsetV1);
      res.set("Deprecation", "true");
    }
    co_return refuse(versioned.error());
  }
  how.is_api = versioned->is_api;

  auto match = router_.match(request.method(), versioned->path);
  if (!match.path_exists) co_return refuse(ApiError::make(ErrorCode::kResourceNotFound));
  ctx.route_template = match.path_template;
  if (request.method() == Verb::options) {
    answer_options(request, match, ctx, res, how);
    co_return res;
  }
  if (!match.route) {
    res.set(bhttp::field::allow, Router::allow_header(match.allowed));
    co_return refuse(ApiError::make(ErrorCode::kHttpMethodNotAllowed,
                                    {{"allowed_methods", Router::allow_header(match.allowed)}}));
  }

  const Route& route = *match.route;
  ctx.route_template = route.path_template;
  ctx.path_params = std::move(match.params);
  how.route_options = &route.options;
  Exchange ex(request, ctx, res);
  co_await run_route_where_it_belongs(route, ex);
  write_outcome(ex, ctx, res);
  finalize(request, ctx, res, how);
  co_return res;
}

void Dispatcher::answer_options(const Request& request, const Router::Match& match, RequestContext& ctx,
                                Response& res, Finish& how) const {
  res.set(bhttp::field::allow, Router::allow_header(match.allowed));
  auto origin = request.find(bhttp::field::origin);
  auto acrm = request.find(bhttp::field::access_control_request_method);
  if (origin != request.end() && acrm != request.end()) {
    if (!cors_.origin_allowed(origin->value()) || !cors_.method_allowed(acrm->value())) {
      write_error(ApiError::make(ErrorCode::kCorsOriginNotAllowed), ctx, res);
      how.route_options = nullptr;
      finalize(request, ctx, res, how);
      // No Access-Control-Allow-* at all: finalize adds them only for allowed simple requests.
      res.erase(bhttp::field::access_control_allow_origin);
      res.erase(bhttp::field::access_control_allow_credentials);
      res.erase(bhttp::field::access_control_expose_headers);
      return;
    }
    cors_.apply_to_preflight(origin->value(), res);
  }
  res.result(Status::no_content);
  finalize(request, ctx, res, how);
}

boost::asio::awaitable<void> Dispatcher::run_route_where_it_belongs(const Route& route, Exchange& ex) const {
  // Handlers that may wait on the store, and limits counted in Redis, run on the worker threads,
  // so a slow or unreachable database or Redis holds a worker (bounded by its deadline), never
  // an I/O thread. The coroutine comes back to this I/O thread to write the answer.
  bool limited = limiter_ && !route.options.rate_limit_tier.empty();
  bool waits = !route.options.in_memory_only &&
               (offload_ == OffloadPolicy::kStoreRoutes || route.options.commits.value_or(false));
  if (workers_ && (waits || (limited && limiter_->remote()))) {
    auto task = run_route(route, ex);
    auto on_workers = boost::asio::co_spawn(workers_->get_executor(), std::move(task), boost::asio::use_awaitable);
    co_await std::move(on_workers);
  } else {
    co_await run_route(route, ex);
  }
}

void Dispatcher::write_outcome(Exchange& ex, RequestContext& ctx, Response& res) const {
  auto& outcome = ex.outcome();
  if (auto* j = std::get_if<Exchange::JsonReply>(&outcome)) {
    res.result(j->status);
    res.set(bhttp::field::content_type, "application/json");
    res.body() = envelope_success(j->data, ctx, j->pagination);
  } else if (auto* err = std::get_if<ApiError>(&outcome)) {
    write_error(*err, ctx, res);
  } else if (auto* raw = std::get_if<Exchange::RawReply>(&outcome)) {
    res.result(raw->status);
    res.set(bhttp::field::content_type, raw->content_type);
    res.body() = std::move(raw->body);
  } else if (std::holds_alternative<Exchange::NoContent>(outcome)) {
    res.result(Status::no_content);
  } else {
    log::error("handler gave no answer", {{"request_id", ctx.request_id}, {"route", ctx.route_template}});
    write_error(ApiError::make(ErrorCode::kSystemInternalError), ctx, res);
  }
}

boost::asio::awaitable<void> Dispatcher::run_route(const Route& route, Exchange& ex) const {
  RequestContext& ctx = ex.context();
  try {
    // The spec's validation order: the rate limit, before any work is spent on the request
    // (size is enforced by the connection), then Content-Type, the route's authentication hook
    // and input validation; handlers then authorize before any business rule.
    if (limiter_ && !route.options.rate_limit_tier.empty()) {
      ctx.limiter = limiter_;
      ctx.rate_limit_tier = route.options.rate_limit_tier;
      if (auto refused = limiter_->admit_address(ctx.rate_limit_tier, route.options.rate_limit_by_address, ctx)) {
        ex.fail(*refused);
        co_return;
      }
    }
    if (route.options.json_body) {
      auto ct = ex.request().find(bhttp::field::content_type);
      if (ct == ex.request().end() || !is_json_content_type(ct->value())) {
        ex.fail(ApiError::make(ErrorCode::kValidationUnsupportedMediaType, {{"content_type", "Must be application/json"}}));
        co_return;
      }
      if (route.options.authenticate) {
        if (auto denied = route.options.authenticate(ex)) {
          ex.fail(*denied);
          co_return;
        }
      }
      auto body = read_json_body(ex.request(), route.options.schema.get());
      if (!body) {
        ex.fail(body.error());
        co_return;
      }
      ex.set_body(std::move(*body));
    }
    co_await route.handler(ex);
  } catch (const TransientFailure& e) {
    // The database did not answer in time or cannot be reached: the operation did not happen
    // (or its outcome is unknown), and trying again later may work.
    log::warn("store unavailable", {{"request_id", ctx.request_id}, {"route", ctx.route_template}, {"what", e.what()}});
    ex.fail(ApiError::make(ErrorCode::kSystemDatabaseError));
  } catch (const std::exception& e) {
    log::error("handler failed", {{"request_id", ctx.request_id}, {"route", ctx.route_template}, {"what", e.what()}});
    ex.fail(ApiError::make(ErrorCode::kSystemInternalError));
  }
}

Response Dispatcher::protocol_error(ErrorCode code, const Request* header, std::string client_address) const {
  RequestContext ctx = make_context(header, std::move(client_address), proxies_);
  Response res{Status::bad_request, 11};
  write_error(ApiError::make(code), ctx, res);
  static const Request kEmpty;
  finalize(header ? *header : kEmpty, ctx, res, Finish{});
  return res;
}

void Dispatcher::finalize(const Request& request, RequestContext& ctx, Response& res, const Finish& how) const {
  bool cacheable = how.route_options && how.route_options->cache_max_age.count() > 0 && res.result() == Status::ok;
  apply_security_headers(res, csp_for(how.route_options));
  res.set(bhttp::field::date, http_date_now());
  res.set(bhttp::field::cache_control,
          cacheable ? "public, max-age=" + std::to_string(how.route_options->cache_max_age.count()) : "no-store");
  res.set("X-Request-ID", ctx.request_id);
  if (how.is_api) res.set("API-Version", "2.0");
  if (ctx.rate_limit) {
    const RateLimitInfo& rl = *ctx.rate_limit;
    res.set("X-RateLimit-Limit", std::to_string(rl.limit));
    res.set("X-RateLimit-Remaining", std::to_string(rl.remaining));
    res.set("X-RateLimit-Reset", std::to_string(rl.reset_epoch_seconds));
    res.set("X-RateLimit-Policy", rl.policy);
    // draft-ietf-httpapi-ratelimit-headers: structured fields naming the policy.
    std::string name = "\"" + std::string(rl.name) + "\"";
    res.set("RateLimit-Policy", name + ";q=" + std::to_string(rl.quota) + ";w=" + std::to_string(rl.window_seconds));
    res.set("RateLimit", name + ";r=" + std::to_string(rl.remaining) + ";t=" + std::to_string(rl.reset_after_seconds));
  }
  if (auto origin = request.find(bhttp::field::origin); origin != request.end()) {
    res.set(bhttp::field::vary, "Origin");
    if (cors_.origin_allowed(origin->value()) && !res.count(bhttp::field::access_control_allow_origin))
      cors_.apply_to_response(origin->value(), res);
  }

  std::size_t length = res.body().size();
  if (res.result() == Status::no_content) {
    res.body().clear();
  } else {
    res.content_length(length);
    if (how.head) res.body().clear();  // HEAD: the GET's headers, Content-Length included, no body
  }

  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.started).count();
  unsigned status = res.result_int();
  metrics_.observe_request(method_label(request), ctx.route_template, status, seconds);
  if (access_log_ && log::enabled(log::Level::kInfo)) {
    log::info("request", {{"request_id", ctx.request_id},
                          {"method", method_label(request)},
                          {"route", ctx.route_template},
                          {"status", status},
                          {"duration_ms", std::round(seconds * 1e6) / 1e3},
                          {"client", ctx.client_address}});
  }
}

}  // namespace archon::http
