#include "http/server.hpp"

#include <list>
#include <optional>
#include <tuple>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "core/log.hpp"
#include "http/wire.hpp"

namespace archon::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);


// One I/O thread's share of the server. Everything in it runs on its own io_context, so its
// connection list needs no lock; other threads reach it only through asio::post.
class Server::Worker {
 public:
  Worker(const ServerConfig& config, const Dispatcher& dispatcher, ServerState& state)
      : config_(config), dispatcher_(dispatcher), state_(state), acceptor_(ioc_) {}

  void bind(const tcp::endpoint& endpoint) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void run() {
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    ioc_.run();
  }

  // Called from the stopping thread: stop accepting, wake idle connections so they close.
  void begin_drain() {
    asio::post(ioc_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      for (Connection* c : connections_)
        if (c->idle) c->stream.socket().cancel(ec);
    });
  }
  void force_stop() { ioc_.stop(); }

 private:
  struct Connection {
    explicit Connection(tcp::socket s) : stream(std::move(s)) {}
    beast::tcp_stream stream;
    bool idle = true;
  };

  asio::awaitable<void> accept_loop() {
    asio::steady_timer backoff(ioc_);
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) {
        if (!acceptor_.is_open() || ec == asio::error::operation_aborted) co_return;
        // EMFILE and friends: back off instead of spinning on a full descriptor table.
        log::warn("accept failed", {{"error", ec.message()}});
        backoff.expires_after(std::chrono::milliseconds(50));
        co_await backoff.async_wait(kTuple);
        continue;
      }
      if (state_.open_connections.load() >= config_.max_connections || state_.draining.load()) {
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      state_.open_connections.fetch_add(1);
      asio::co_spawn(ioc_, serve_connection(std::move(socket)), asio::detached);
    }
  }

  static ErrorCode classify_read_error(const boost::system::error_code& ec) {
    if (ec == beast::error::timeout) return ErrorCode::kHttpRequestTimeout;
    if (ec == beast::http::error::body_limit) return ErrorCode::kRequestBodyTooLarge;
    if (ec == beast::http::error::header_limit) return ErrorCode::kRequestHeadersTooLarge;
    return ErrorCode::kHttpBadRequest;
  }

  // What the header alone decides (RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host;
  // a declared body over the limit is refused before it is read).
  std::optional<ErrorCode> header_refusal(const beast::http::request_parser<beast::http::string_body>& parser) const {
    const auto& head = parser.get();
    if (head.version() >= 11 && head.count(beast::http::field::host) != 1) return ErrorCode::kHttpBadRequest;
    if (auto length = parser.content_length(); length && *length > config_.max_body_bytes)
      return ErrorCode::kRequestBodyTooLarge;
    return std::nullopt;
  }

  static bool expects_continue(const Request& head) {
    if (head.version() < 11) return false;
    auto it = head.find(beast::http::field::expect);
    return it != head.end() && beast::iequals(it->value(), "100-continue");
  }

  static bool is_transport_error(const boost::system::error_code& ec) {
    return ec == beast::http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
           ec == asio::error::broken_pipe || ec == asio::error::not_connected || ec == asio::error::bad_descriptor;
  }

  asio::awaitable<void> serve_connection(tcp::socket socket) {
    boost::system::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    std::string client = ec ? std::string("unknown") : remote.address().to_string();
    Connection conn(std::move(socket));
    auto self = connections_.insert(connections_.end(), &conn);

    beast::flat_buffer buffer;
    std::string wire;  // the serialized answer; reused across the connection's requests
    for (;;) {
      // Idle: wait for the first byte of the next request under the idle deadline.
      if (buffer.size() == 0) {
        if (state_.draining.load()) break;
        conn.idle = true;
        conn.stream.expires_after(config_.idle_timeout);
        auto [rec, n] = co_await conn.stream.async_read_some(buffer.prepare(4096), kTuple);
        if (rec) break;  // closed, idle timeout, or drained
        buffer.commit(n);
      }
      conn.idle = false;

      auto request = co_await read_request(conn, buffer, client);
      if (!request) break;
      Response res = co_await dispatcher_.handle(*request, client);
      // The dispatcher answers `Connection: close` when the connection cannot be trusted further.
      bool keep_alive = request->keep_alive() && res.keep_alive() && !state_.draining.load();
      res.keep_alive(keep_alive);
      conn.stream.expires_after(config_.read_timeout);
      wire.clear();
      serialize_response(res, wire);
      auto [wec, wn] = co_await asio::async_write(conn.stream, asio::buffer(wire), kTuple);
      if (wec || !keep_alive) break;
    }
    conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    conn.stream.close();
    connections_.erase(self);
    state_.open_connections.fetch_sub(1);
  }

  // Reads one request (its first byte is in `buffer`). The whole request must arrive within
  // read_timeout of its first byte, so a client trickling one byte a second holds its slot for
  // at most that long. Nullopt when the connection is to close: the peer went away, or the
  // request was refused (and answered).
  asio::awaitable<std::optional<Request>> read_request(Connection& conn, beast::flat_buffer& buffer,
                                                       const std::string& client) {
    beast::http::request_parser<beast::http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config_.max_header_bytes));
    // The body limit is applied once the header is in (header_refusal, then body_limit), so
    // that a 413 for a declared length can carry the request's own X-Request-ID.
    parser.body_limit(boost::none);
    conn.stream.expires_after(config_.read_timeout);
    // Beast applies header_limit to each parse call and consumes complete fields as it goes,
    // so a header arriving in pieces could exceed it; counting consumed bytes makes the limit
    // a hard total.
    boost::system::error_code rec;
    std::size_t header_bytes = 0;
    while (!rec && !parser.is_header_done()) {
      std::size_t used = 0;
      std::tie(rec, used) = co_await beast::http::async_read_some(conn.stream, buffer, parser, kTuple);
      header_bytes += used;
      if (header_bytes > config_.max_header_bytes) rec = beast::http::error::header_limit;
    }
    if (!rec) {
      if (auto refused = header_refusal(parser)) {
        Response res = dispatcher_.protocol_error(*refused, &parser.get(), client);
        res.keep_alive(false);
        co_await write_and_linger(conn, res);
        co_return std::nullopt;
      }
      parser.body_limit(config_.max_body_bytes);
      // RFC 9110 §10.1.1: a client waiting for 100 (curl does, for a second) gets it before
      // the body is read. HTTP/1.0 requests' expectations are ignored, as the RFC requires.
      if (!parser.is_done() && expects_continue(parser.get())) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [cec, cn] = co_await asio::async_write(conn.stream, asio::buffer(kContinue), kTuple);
        if (cec) co_return std::nullopt;
      }
    }
    if (!rec && !parser.is_done())
      std::tie(rec, std::ignore) = co_await beast::http::async_read(conn.stream, buffer, parser, kTuple);
    if (rec) {
      if (is_transport_error(rec)) co_return std::nullopt;
      Response res = dispatcher_.protocol_error(classify_read_error(rec),
                                                parser.is_header_done() ? &parser.get() : nullptr, client);
      res.keep_alive(false);
      co_await write_and_linger(conn, res);
      co_return std::nullopt;
    }

    co_return parser.release();
  }

  // After an error answer the client may still be sending (a 413 is decided from the header);
  // closing with unread data would make the kernel send RST and the client could lose the
  // answer. So: send, half-close, and drain briefly, as nginx's lingering_close does.
  asio::awaitable<void> write_and_linger(Connection& conn, Response& res) {
    conn.stream.expires_after(std::chrono::seconds(2));
    std::string wire;
    serialize_response(res, wire);
    auto [wec, wn] = co_await asio::async_write(conn.stream, asio::buffer(wire), kTuple);
    if (wec) co_return;
    boost::system::error_code ec;
    conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    char sink[4096];
    std::size_t drained = 0;
    conn.stream.expires_after(std::chrono::seconds(2));
    while (drained < (1u << 20)) {
      auto [rec, n] = co_await conn.stream.async_read_some(asio::buffer(sink), kTuple);
      if (rec) break;
      drained += n;
    }
  }

  const ServerConfig& config_;
  const Dispatcher& dispatcher_;
  ServerState& state_;
  asio::io_context ioc_{1};
  tcp::acceptor acceptor_;
  std::list<Connection*> connections_;
};

Server::Server(const ServerConfig& config, const Dispatcher& dispatcher, ServerState& state)
    : config_(config), dispatcher_(dispatcher), state_(state) {}

Server::~Server() { stop(); }

ListenAddress Server::start() {
  ListenAddress bound = bind();
  run();
  return bound;
}

void Server::run() {
  for (auto& w : workers_) threads_.emplace_back([w = w.get()] { w->run(); });
}

namespace {

// The acceptors share their port through SO_REUSEPORT (one per I/O thread), which would also let
// this server quietly share a port another process listens on, splitting its traffic. A probe
// without SO_REUSEPORT fails on a port anyone holds, so a taken port is an error at start.
void refuse_taken_port(const asio::ip::address& address, std::uint16_t port) {
  asio::io_context ioc;
  tcp::acceptor probe(ioc);
  boost::system::error_code ec;
  probe.open(tcp::endpoint(address, port).protocol(), ec);
  if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) probe.bind(tcp::endpoint(address, port), ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + ListenAddress{address.to_string(), port}.to_string() + ": " +
                             ec.message());
}

}  // namespace

ListenAddress Server::bind() {
  unsigned n = config_.threads ? config_.threads : std::max(1u, std::thread::hardware_concurrency());
  boost::system::error_code ec;
  auto address = asio::ip::make_address(config_.listen.host, ec);
  if (ec) throw std::runtime_error("server.listen: '" + config_.listen.host + "' is not an IP address");
  std::uint16_t port = config_.listen.port;
  if (port != 0) refuse_taken_port(address, port);
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>(config_, dispatcher_, state_);
    try {
      w->bind(tcp::endpoint(address, port));
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("cannot listen on " + ListenAddress{config_.listen.host, port}.to_string() + ": " +
                               e.code().message());
    }
    port = w->port();  // port 0: every other acceptor joins the port the first one got
    workers_.push_back(std::move(w));
  }
  return ListenAddress{address.to_string(), port};
}

std::size_t Server::stop() {
  if (stopped_) return 0;
  stopped_ = true;
  state_.draining.store(true);
  for (auto& w : workers_) w->begin_drain();
  auto deadline = std::chrono::steady_clock::now() + config_.shutdown_grace;
  while (state_.open_connections.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::size_t cut = state_.open_connections.load();
  for (auto& w : workers_) w->force_stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  return cut;
}

}  // namespace archon::http
