#include "libvtap/api/http_server.hpp"

#include <sys/stat.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "libvtap/model/error.hpp"

namespace vtap::api {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using local = net::local::stream_protocol;
using boost::system::error_code;

std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& text) {
  std::string host = "127.0.0.1", port = text;
  if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "127.0.0.1";
  }
  error_code ec;
  net::ip::make_address(host, ec);
  if (ec) throw Error("--listen: \"" + host + "\" is not an IP address (give ADDR:PORT, e.g. 127.0.0.1:8181)");
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535)
    throw Error("--listen: \"" + port + "\" is not a port number (give ADDR:PORT, e.g. 127.0.0.1:8181)");
  return {host, static_cast<std::uint16_t>(std::stoul(port))};
}

struct HttpServer::Impl {
  // Declared so that the loop (and with it the sessions its handlers hold) goes before
  // what sessions use, and the acceptors before the loop.
  Api& api;
  EventHub& hub;
  ServerOptions opt;
  std::atomic<std::size_t> connections{0};
  std::mutex streams_mu;
  std::set<std::uint64_t> streams;  // EventHub handles of open event streams
  bool stopped = false;
  std::optional<net::ssl::context> tls;
  net::thread_pool workers;
  net::io_context ioc{1};
  std::optional<tcp::acceptor> tcp_acceptor;
  std::optional<local::acceptor> unix_acceptor;
  std::thread io_thread;

  Impl(Api& a, EventHub& h, ServerOptions o) : api(a), hub(h), opt(std::move(o)), workers(std::max(1u, opt.workers)) {}

  template <class Socket>
  void accept(Socket& acceptor, bool trusted);
};

namespace {

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

// One connection: requests in turn (keep-alive), or one event stream. Stream is a socket or
// a TLS stream over one.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpServer::Impl& server, Stream stream, bool trusted)
      : server_(server), stream_(std::move(stream)), timer_(server.ioc), trusted_(trusted) {
    ++server_.connections;
  }
  ~Session() {
    unsubscribe();
    --server_.connections;
  }

  void start() {
    if constexpr (std::is_same_v<Stream, net::ssl::stream<tcp::socket>>) {
      arm();
      stream_.async_handshake(net::ssl::stream_base::server, [self = this->shared_from_this()](error_code ec) {
        self->timer_.cancel();
        if (!ec) self->read();
      });
    } else {
      read();
    }
  }

 private:
  void arm() {
    timer_.expires_after(server_.opt.request_timeout);
    timer_.async_wait([weak = this->weak_from_this()](error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->close();
    });
  }

  void close() {
    unsubscribe();
    error_code ignored;
    boost::beast::get_lowest_layer(stream_).shutdown(net::socket_base::shutdown_both, ignored);
    boost::beast::get_lowest_layer(stream_).close(ignored);
  }

  void read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(trusted_ ? server_.opt.max_trusted_body : server_.opt.max_body);
    arm();
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](error_code ec, std::size_t) {
      self->timer_.cancel();
      self->on_read(ec);
    });
  }

  void on_read(error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted) return close();
    if (ec == http::error::body_limit) return reply(error_response(413, "the request body is larger than " +
                                                    std::to_string(trusted_ ? server_.opt.max_trusted_body : server_.opt.max_body) +
                                                    " bytes"), false);
    if (ec == http::error::header_limit) return reply(error_response(431, "the request headers are too large"), false);
    if (ec && ec.category() == http::make_error_code(http::error::bad_method).category())  // a parse error
      return reply(error_response(400, "malformed HTTP request: " + ec.message()), false);
    if (ec) return close();
    const auto& message = parser_->get();
    Request request{std::string(message.method_string()), std::string(message.target()), message.body(),
                    std::string(message[http::field::authorization]), std::string(message["X-Auth-Token"]), trusted_};
    keep_alive_ = message.keep_alive();
    started_ = std::chrono::steady_clock::now();
    if (request.method == "GET" && path_of(request.target) == "/v1/events") return open_stream(request);
    net::post(server_.workers, [self = this->shared_from_this(), request = std::move(request)]() mutable {
      Response response = self->server_.api.handle(request);
      net::post(self->server_.ioc, [self, request = std::move(request), response = std::move(response)]() mutable {
        self->log(request, response.status);
        self->reply(std::move(response), self->keep_alive_);
      });
    });
  }

  void log(const Request& request, unsigned status) const {
    if (!server_.opt.access_log) return;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
    server_.opt.access_log(request.method + " " + path_of(request.target) + " " + std::to_string(status) + " " +
                           std::to_string(ms.count()) + "ms" + (trusted_ ? " unix" : ""));
  }

  void reply(Response r, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "vtapd");
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res->set(name, value);
    if (r.status == 401) res->set(http::field::www_authenticate, "Bearer realm=\"vtapd\"");
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    arm();
    http::async_write(stream_, *res, [self = this->shared_from_this(), res, keep_alive](error_code ec, std::size_t) {
      self->timer_.cancel();
      if (ec || !keep_alive) return self->close();
      self->read();
    });
  }

  // GET /v1/events: headers, then one frame per visible event until the client leaves.
  void open_stream(const Request& request) {
    auto who = server_.api.authenticate(request);
    if (auto* refused = std::get_if<Response>(&who)) {
      log(request, refused->status);
      return reply(std::move(*refused), false);
    }
    log(request, 200);
    queue_.push_back(
        "HTTP/1.1 200 OK\r\nServer: vtapd\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Connection: close\r\n\r\n: vtapd events\n\n");
    std::lock_guard lock(server_.streams_mu);
    if (server_.stopped) return close();
    handle_ = server_.hub.subscribe(std::get<Caller>(who), [weak = this->weak_from_this(), &ioc = server_.ioc](const std::string& frame) {
      net::post(ioc, [weak, frame] {
        if (auto self = weak.lock()) self->send(frame);
      });
    });
    server_.streams.insert(handle_);
    write_next();
    watch_client();
    heartbeat();
  }

  void send(const std::string& frame) {
    if (queue_.size() >= 4096) return close();  // a client that does not read: drop it
    queue_.push_back(frame);
    if (queue_.size() == 1) write_next();
  }

  void write_next() {
    if (queue_.empty()) return;
    net::async_write(stream_, net::buffer(queue_.front()), [self = this->shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->close();
      self->queue_.pop_front();
      self->write_next();
    });
  }

  // The client sends nothing more; a read that ends says it left.
  void watch_client() {
    stream_.async_read_some(net::buffer(sink_), [self = this->shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->close();
      self->watch_client();
    });
  }

  void heartbeat() {
    timer_.expires_after(std::chrono::seconds(15));
    timer_.async_wait([weak = this->weak_from_this()](error_code ec) {
      auto self = weak.lock();
      if (!self || ec || !self->handle_) return;
      self->send(": keep-alive\n\n");
      self->heartbeat();
    });
  }

  void unsubscribe() {
    if (!handle_) return;
    server_.hub.unsubscribe(handle_);
    std::lock_guard lock(server_.streams_mu);
    server_.streams.erase(handle_);
    handle_ = 0;
  }

  HttpServer::Impl& server_;
  Stream stream_;
  net::steady_timer timer_;
  bool trusted_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = false;
  std::chrono::steady_clock::time_point started_;
  std::uint64_t handle_ = 0;
  std::deque<std::string> queue_;
  std::array<char, 512> sink_{};
};

}  // namespace

template <class Socket>
void HttpServer::Impl::accept(Socket& acceptor, bool trusted) {
  acceptor.async_accept([this, &acceptor, trusted](error_code ec, auto socket) {
    if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec && connections < opt.max_connections) {
      if constexpr (std::is_same_v<decltype(socket), tcp::socket>) {
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (tls)
          std::make_shared<Session<net::ssl::stream<tcp::socket>>>(*this, net::ssl::stream<tcp::socket>(std::move(socket), *tls), trusted)->start();
        else
          std::make_shared<Session<tcp::socket>>(*this, std::move(socket), trusted)->start();
      } else {
        std::make_shared<Session<local::socket>>(*this, std::move(socket), trusted)->start();
      }
    }
    accept(acceptor, trusted);  // a refused or failed connection is dropped: keep accepting
  });
}

HttpServer::HttpServer(Api& api, EventHub& events, ServerOptions options)
    : impl_(std::make_unique<Impl>(api, events, std::move(options))) {
  auto& im = *impl_;
  if (im.opt.tls_cert.has_value() != im.opt.tls_key.has_value()) throw Error("--tls-cert and --tls-key go together");
  if (im.opt.tls_cert) {
    im.tls.emplace(net::ssl::context::tls_server);
    im.tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                        net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
    try {
      im.tls->use_certificate_chain_file(im.opt.tls_cert->string());
      im.tls->use_private_key_file(im.opt.tls_key->string(), net::ssl::context::pem);
    } catch (const boost::system::system_error& e) {
      throw Error("--tls-cert/--tls-key: " + im.opt.tls_cert->string() + ", " + im.opt.tls_key->string() + ": " + e.what());
    }
  }
  if (im.opt.listen) {
    const auto [host, port] = parse_listen_address(*im.opt.listen);
    try {
      const tcp::endpoint at(net::ip::make_address(host), port);
      im.tcp_acceptor.emplace(im.ioc, at);
    } catch (const boost::system::system_error& e) {
      throw Error("--listen " + *im.opt.listen + ": cannot listen: " + e.code().message());
    }
  }
  if (im.opt.unix_socket) {
    const auto path = im.opt.unix_socket->string();
    ::unlink(path.c_str());
    try {
      im.unix_acceptor.emplace(im.ioc, local::endpoint(path));
    } catch (const boost::system::system_error& e) {
      throw Error(path + ": cannot listen: " + e.code().message());
    }
    ::chmod(path.c_str(), S_IRUSR | S_IWUSR);
  }
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  auto& im = *impl_;
  if (im.tcp_acceptor) im.accept(*im.tcp_acceptor, false);
  if (im.unix_acceptor) im.accept(*im.unix_acceptor, true);
  im.io_thread = std::thread([&im] { im.ioc.run(); });
}

void HttpServer::stop() {
  auto& im = *impl_;
  {
    std::lock_guard lock(im.streams_mu);
    if (im.stopped) return;
    im.stopped = true;
    for (auto handle : im.streams) im.hub.unsubscribe(handle);  // no event is posted from here on
    im.streams.clear();
  }
  net::post(im.ioc, [&im] {
    error_code ignored;
    if (im.tcp_acceptor) im.tcp_acceptor->close(ignored);
    if (im.unix_acceptor) im.unix_acceptor->close(ignored);
  });
  im.workers.join();  // requests in progress finish; their replies are dropped with the loop
  im.ioc.stop();
  if (im.io_thread.joinable()) im.io_thread.join();
  if (im.opt.unix_socket) ::unlink(im.opt.unix_socket->c_str());
}

std::string HttpServer::tcp_address() const {
  if (!impl_->tcp_acceptor) return {};
  const auto at = impl_->tcp_acceptor->local_endpoint();
  const auto host = at.address().to_string();
  return (at.address().is_v6() ? "[" + host + "]" : host) + ":" + std::to_string(at.port());
}

}  // namespace vtap::api
