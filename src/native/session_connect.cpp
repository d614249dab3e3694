// Opening sessions: connecting to a target (unix socket, tcp, ssl) and accepting switches
// that connect to us (Listener). Either way the session starts with the handshake.

#include <boost/asio/connect.hpp>

#include "libvtap/model/error.hpp"
#include "session_impl.hpp"

namespace vtap::openflow {
namespace asio = boost::asio;
using detail::SslStream;
using detail::TcpSocket;
using detail::UnixSocket;

// ---- Session ---------------------------------------------------------------------------

void Session::connect_impl(asio::io_context& io, Target target, SessionOptions options, SessionHandler handler) {
  if (options.versions.empty()) throw Error("SessionOptions.versions is empty");
  auto impl = std::make_shared<Impl>(io, std::move(target), std::move(options));
  auto start = [impl, handler] {
    impl->handshake([impl, handler](std::error_code ec) {
      handler(ec, ec ? nullptr : std::make_shared<Session>(impl));
    });
  };
  const Target& t = impl->target;
  if (t.kind == Target::Kind::unix_socket) {
    auto& socket = impl->stream.s.emplace<UnixSocket>(io);
    socket.async_connect(asio::local::stream_protocol::endpoint(t.path), [impl, handler, start](boost::system::error_code ec) {
      if (ec) return handler(std::error_code(ec.value(), std::system_category()), nullptr);
      start();
    });
    return;
  }
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(t.host), t.port);
  if (t.kind == Target::Kind::tcp) {
    auto& socket = impl->stream.s.emplace<TcpSocket>(io);
    socket.async_connect(endpoint, [handler, start](boost::system::error_code ec) {
      if (ec) return handler(std::error_code(ec.value(), std::system_category()), nullptr);
      start();
    });
    return;
  }
  impl->ssl.emplace(asio::ssl::context::tls_client);
  auto& ctx = *impl->ssl;
  // Like ovs-ofctl, ssl: needs our key and certificate and the CA that signed the switch's.
  auto load = [&](const std::string& file, const char* what, auto use) {
    if (file.empty()) throw Error(t.to_string() + ": ssl needs a " + what);
    boost::system::error_code ec;
    use(file, ec);
    if (ec) throw Error(t.to_string() + ": " + what + " " + file + ": " + ec.message());
  };
  load(impl->opt.ssl_private_key, "private key", [&](auto& f, auto& ec) { ctx.use_private_key_file(f, asio::ssl::context::pem, ec); });
  load(impl->opt.ssl_certificate, "certificate", [&](auto& f, auto& ec) { ctx.use_certificate_file(f, asio::ssl::context::pem, ec); });
  load(impl->opt.ssl_ca_certificate, "CA certificate", [&](auto& f, auto& ec) { ctx.load_verify_file(f, ec); });
  ctx.set_verify_mode(asio::ssl::verify_peer);
  auto& ssl = impl->stream.s.emplace<std::unique_ptr<SslStream>>(std::make_unique<SslStream>(io, ctx));
  ssl->lowest_layer().async_connect(endpoint, [impl, handler, start](boost::system::error_code ec) {
    if (ec) return handler(std::error_code(ec.value(), std::system_category()), nullptr);
    std::get<std::unique_ptr<SslStream>>(impl->stream.s)
        ->async_handshake(asio::ssl::stream_base::client, [handler, start](boost::system::error_code ec2) {
          if (ec2) return handler(make_error_code(SessionError::tls_handshake), nullptr);
          start();
        });
  });
}

// ---- Listener --------------------------------------------------------------------------

struct Listener::Impl : std::enable_shared_from_this<Listener::Impl> {
  asio::io_context& io;
  asio::ip::tcp::acceptor acceptor;
  SessionOptions opt;
  Session::SessionHandler on_switch;

  Impl(asio::io_context& context, const asio::ip::tcp::endpoint& at, SessionOptions o, Session::SessionHandler h)
      : io(context), acceptor(context, at), opt(std::move(o)), on_switch(std::move(h)) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](boost::system::error_code ec, TcpSocket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        const auto peer = socket.remote_endpoint(ec);
        Target t{Target::Kind::tcp, ec ? std::string() : peer.address().to_string(), ec ? std::uint16_t{0} : peer.port(), {}};
        auto impl = std::make_shared<Session::Impl>(self->io, std::move(t), self->opt);
        impl->stream.s.emplace<TcpSocket>(std::move(socket));
        auto handler = self->on_switch;
        impl->handshake([impl, handler](std::error_code hec) {
          handler(hec, hec ? nullptr : std::make_shared<Session>(impl));
        });
      }
      self->accept();
    });
  }
};

Listener::Listener(asio::io_context& io, const std::string& address, std::uint16_t port, SessionOptions options,
                   Session::SessionHandler on_switch)
    : impl_(std::make_shared<Impl>(io, asio::ip::tcp::endpoint(asio::ip::make_address(address), port), std::move(options),
                                   std::move(on_switch))) {
  impl_->accept();
}
Listener::~Listener() { close(); }
std::uint16_t Listener::port() const noexcept { return impl_->acceptor.local_endpoint().port(); }
void Listener::close() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace vtap::openflow
