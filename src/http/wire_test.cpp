#include "http/wire.hpp"

#include <gtest/gtest.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>

namespace archon::http {
namespace {

// What we send must parse back, with Beast's own parser, into the same message.
Response parse_back(const std::string& wire) {
  bhttp::response_parser<bhttp::string_body> parser;
  boost::system::error_code ec;
  parser.eager(true);
  parser.put(boost::asio::buffer(wire), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.is_done());
  return parser.release();
}

TEST(Wire, SerializesStatusFieldsAndBodyInOrder) {
  Response res{Status::created, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.set("X-Request-ID", "req_1");
  res.body() = R"({"success":true})";
  res.content_length(res.body().size());
  std::string wire;
  serialize_response(res, wire);
  EXPECT_EQ(wire,
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Request-ID: req_1\r\n"
            "Content-Length: 16\r\n\r\n{\"success\":true}");
  auto back = parse_back(wire);
  EXPECT_EQ(back.result(), Status::created);
  EXPECT_EQ(back["X-Request-ID"], "req_1");
  EXPECT_EQ(back.body(), res.body());
}

TEST(Wire, KeepsHttp10AndConnectionClose) {
  Response res{Status::too_many_requests, 10};
  res.keep_alive(false);
  res.content_length(0);
  std::string wire;
  serialize_response(res, wire);
  EXPECT_EQ(wire.rfind("HTTP/1.0 429 Too Many Requests\r\n", 0), 0u);
  auto back = parse_back(wire);
  EXPECT_FALSE(back.keep_alive());
}

TEST(Wire, NoContentHasNoBody) {
  Response res{Status::no_content, 11};
  res.set("Allow", "GET, HEAD, OPTIONS");
  std::string wire;
  serialize_response(res, wire);
  EXPECT_EQ(wire, "HTTP/1.1 204 No Content\r\nAllow: GET, HEAD, OPTIONS\r\n\r\n");
}

TEST(Wire, AppendsToWhatIsAlreadyThere) {
  Response res{Status::ok, 11};
  res.content_length(2);
  res.body() = "ok";
  std::string wire = "prefix|";
  serialize_response(res, wire);
  EXPECT_EQ(wire, "prefix|HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
}

}  // namespace
}  // namespace archon::http
