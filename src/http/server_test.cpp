// The server and the dispatcher's pipeline over real sockets, with test routes (including a
// JSON route, which the foundation itself does not serve yet).
#include "http/server.hpp"

#include <future>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "http/exchange.hpp"

namespace archon::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = std::make_shared<BodySchema>(BodySchema{{
        {"name", FieldType::kString, true, {}, {}, 1, 10},
        {"count", FieldType::kInteger, false, 0, 100},
    }});
    RouteOptions json_route;
    json_route.json_body = true;
    json_route.schema = schema;
    router_.add(
        Verb::post, "/api/v2/things",
        [](Exchange& ex) -> asio::awaitable<void> {
          ex.reply(boost::json::object{{"name", ex.body().at("name")}}, Status::created);
          co_return;
        },
        json_route);
    router_.add(Verb::get, "/boom", [](Exchange&) -> asio::awaitable<void> {
      throw std::runtime_error("secret internal detail /etc/passwd");
      co_return;
    });
    router_.add(Verb::get, "/slow", [](Exchange& ex) -> asio::awaitable<void> {
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(400));
      co_await t.async_wait(asio::use_awaitable);
      ex.reply(boost::json::object{{"slow", true}});
    });
    config_.listen = {"127.0.0.1", 0};
    config_.threads = 2;
    config_.max_body_bytes = 1024;
    config_.read_timeout = std::chrono::seconds(1);
    config_.shutdown_grace = std::chrono::seconds(3);
    dispatcher_ = std::make_unique<Dispatcher>(router_, CorsPolicy(CorsConfig{}), metrics_, false);
    server_ = std::make_unique<Server>(config_, *dispatcher_, state_);
    port_ = server_->start().port;
  }
  void TearDown() override { server_->stop(); }

  struct Reply {
    unsigned status;
    boost::json::value body;
    Response raw;
  };

  Reply send(Request req) {
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    req.set(bhttp::field::host, "localhost");
    req.prepare_payload();
    bhttp::write(s, req);
    boost::beast::flat_buffer buf;
    Response res;
    bhttp::read(s, buf, res);
    boost::json::value body;
    if (!res.body().empty()) body = boost::json::parse(res.body());
    return {res.result_int(), body, res};
  }

  Reply post_json(std::string body, std::string content_type = "application/json") {
    Request req{Verb::post, "/api/v2/things", 11};
    req.set(bhttp::field::content_type, content_type);
    req.body() = std::move(body);
    return send(std::move(req));
  }

  static std::string code(const Reply& r) { return std::string(r.body.at("error").at("code").as_string()); }

  Router router_;
  ServerConfig config_;
  observability::Metrics metrics_;
  ServerState state_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Server> server_;
  std::uint16_t port_ = 0;
};

TEST_F(ServerTest, JsonRouteAcceptsValidBody) {
  auto r = post_json(R"({"name":"abc","count":3})");
  EXPECT_EQ(r.status, 201u);
  EXPECT_TRUE(r.body.at("success").as_bool());
  EXPECT_EQ(r.body.at("data").at("name").as_string(), "abc");
}

TEST_F(ServerTest, JsonRouteHostileBodies) {
  EXPECT_EQ(post_json(R"({"name":"abc"})", "text/plain").status, 415u);
  EXPECT_EQ(post_json(R"({"name":"abc"})", "application/x-www-form-urlencoded").status, 415u);
  auto malformed = post_json(R"({"name":)");
  EXPECT_EQ(malformed.status, 400u);
  EXPECT_EQ(code(malformed), "VALIDATION_MALFORMED_JSON");
  EXPECT_EQ(code(post_json(R"({"name":"a","name":"b"})")), "VALIDATION_MALFORMED_JSON");
  EXPECT_EQ(code(post_json("{\"name\":\"\xc3\x28\"}")), "VALIDATION_MALFORMED_JSON");
  EXPECT_EQ(code(post_json(std::string(33, '[') + std::string(33, ']'))), "VALIDATION_MALFORMED_JSON");
  auto unknown = post_json(R"({"name":"abc","role":"admin"})");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(code(unknown), "VALIDATION_UNKNOWN_FIELD");
  EXPECT_TRUE(unknown.body.at("error").at("details").as_object().contains("role"));
  EXPECT_EQ(code(post_json(R"({"count":1})")), "VALIDATION_REQUIRED_FIELD");
  EXPECT_EQ(code(post_json(R"({"name":7})")), "VALIDATION_INVALID_FORMAT");
  auto range = post_json(R"({"name":"abc","count":1000})");
  EXPECT_EQ(range.status, 422u);
  EXPECT_EQ(code(range), "VALIDATION_CONSTRAINT_VIOLATION");
  EXPECT_EQ(code(post_json(R"({"name":"abc","count":1e400})")), "VALIDATION_MALFORMED_JSON");
}

TEST_F(ServerTest, OversizedBodyIs413AndServerKeepsServing) {
  auto r = post_json(R"({"name":")" + std::string(2000, 'x') + "\"}");
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(code(r), "REQUEST_BODY_TOO_LARGE");
  EXPECT_EQ(post_json(R"({"name":"ok"})").status, 201u);
}

TEST_F(ServerTest, HandlerExceptionIs500WithoutInternals) {
  auto r = send(Request{Verb::get, "/boom", 11});
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(code(r), "SYSTEM_INTERNAL_ERROR");
  EXPECT_EQ(r.raw.body().find("passwd"), std::string::npos);
}

TEST_F(ServerTest, PipelinedRequestsOnOneConnection) {
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  std::string two =
      "GET /nope HTTP/1.1\r\nHost: x\r\nX-Request-ID: first\r\n\r\n"
      "GET /nope HTTP/1.1\r\nHost: x\r\nX-Request-ID: second\r\n\r\n";
  asio::write(s, asio::buffer(two));
  boost::beast::flat_buffer buf;
  Response a, b;
  bhttp::read(s, buf, a);
  bhttp::read(s, buf, b);
  EXPECT_EQ(a.result_int(), 404u);
  EXPECT_EQ(a["X-Request-ID"], "first");
  EXPECT_EQ(b["X-Request-ID"], "second");
}

TEST_F(ServerTest, StopLetsInFlightRequestsFinish) {
  auto in_flight = std::async(std::launch::async, [&] { return send(Request{Verb::get, "/slow", 11}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::size_t cut = server_->stop();
  EXPECT_EQ(cut, 0u);
  auto r = in_flight.get();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.raw["Connection"], "close");
}

}  // namespace
}  // namespace archon::http
