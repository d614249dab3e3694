// The OpenFlow channel: framing, handshake, keepalive, xid correlation, bundles.

#include "libvtap/native/session.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <utility>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <map>
#include <variant>

#include "libvtap/model/error.hpp"

namespace vtap::openflow {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// ---- the connection ---------------------------------------------------------------------

namespace {

using TcpSocket = asio::ip::tcp::socket;
using UnixSocket = asio::local::stream_protocol::socket;
using SslStream = asio::ssl::stream<TcpSocket>;

// One byte stream, whichever transport carries it.
class Stream {
 public:
  std::variant<std::monostate, TcpSocket, UnixSocket, std::unique_ptr<SslStream>> s;

  template <class Buffer, class Handler>
  void async_read(Buffer buffer, Handler&& handler) {
    std::visit(
        [&](auto& stream) {
          if constexpr (std::is_same_v<std::decay_t<decltype(stream)>, std::monostate>) return;
          else if constexpr (std::is_same_v<std::decay_t<decltype(stream)>, std::unique_ptr<SslStream>>)
            asio::async_read(*stream, buffer, std::forward<Handler>(handler));
          else asio::async_read(stream, buffer, std::forward<Handler>(handler));
        },
        s);
  }
  template <class Buffer, class Handler>
  void async_write(Buffer buffer, Handler&& handler) {
    std::visit(
        [&](auto& stream) {
          if constexpr (std::is_same_v<std::decay_t<decltype(stream)>, std::monostate>) return;
          else if constexpr (std::is_same_v<std::decay_t<decltype(stream)>, std::unique_ptr<SslStream>>)
            asio::async_write(*stream, buffer, std::forward<Handler>(handler));
          else asio::async_write(stream, buffer, std::forward<Handler>(handler));
        },
        s);
  }
  void close() {
    boost::system::error_code ignored;
    std::visit(
        [&](auto& stream) {
          if constexpr (std::is_same_v<std::decay_t<decltype(stream)>, std::monostate>) return;
          else if constexpr (std::is_same_v<std::decay_t<decltype(stream)>, std::unique_ptr<SslStream>>)
            stream->lowest_layer().close(ignored);
          else stream.close(ignored);
        },
        s);
  }
};

std::error_code to_std(const boost::system::error_code& ec) {
  if (!ec) return {};
  if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
    return make_error_code(SessionError::closed);
  return std::error_code(ec.value(), std::system_category());
}

}  // namespace

struct Session::Impl : std::enable_shared_from_this<Session::Impl> {
  struct Pending {
    FramesHandler handler;
    std::vector<Frame> frames;
    Clock::time_point deadline;
  };

  asio::io_context& io;
  Target target;
  SessionOptions opt;
  std::optional<asio::ssl::context> ssl;
  Stream stream;
  asio::steady_timer tick;
  asio::steady_timer handshake_deadline;
  std::function<void(std::error_code)> handshake_failed;  // set while the handshake runs
  Version version = Version::of15;
  std::uint64_t dpid = 0;
  bool open = false;       // usable: handshake done, not closed
  bool finished = false;   // closed for good
  std::uint32_t next_xid = 1;
  std::uint32_t next_bundle = 1;
  std::array<std::uint8_t, 8> header{};
  std::vector<std::uint8_t> body;
  // Messages written while a write is in flight gather in `outbox` and leave together, so a
  // bundle of thousands of messages costs a handful of system calls, not one per message.
  std::vector<std::uint8_t> outbox, in_flight;
  bool writing = false;
  std::map<std::uint32_t, Pending> pending;
  std::vector<Frame> stray_errors;
  // Set during the handshake; gets the peer's HELLO, or nothing for a HELLO of a version
  // outside 1.3-1.5 that carries no usable bitmap.
  std::function<void(std::optional<Frame>)> hello_waiter;
  unsigned echo_outstanding = 0;
  Clock::time_point last_echo = Clock::now();
  std::function<void(const PortStatus&)> port_status;
  std::function<void(std::error_code)> closed;

  Impl(asio::io_context& context, Target t, SessionOptions o) : io(context), target(std::move(t)), opt(std::move(o)), tick(context), handshake_deadline(context) {}

  Version highest() const { return *std::max_element(opt.versions.begin(), opt.versions.end()); }

  // -- reading
  void read_header() {
    stream.async_read(asio::buffer(header), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->fail(to_std(ec));
      const std::size_t length = (std::size_t{self->header[2]} << 8) | self->header[3];
      if (length < 8) return self->fail(make_error_code(SessionError::protocol));
      self->body.assign(self->header.begin(), self->header.end());
      self->body.resize(length);
      if (length == 8) return self->on_message();
      self->stream.async_read(asio::buffer(self->body.data() + 8, length - 8),
                              [self](boost::system::error_code ec2, std::size_t) {
                                if (ec2) return self->fail(to_std(ec2));
                                self->on_message();
                              });
    });
  }

  void on_message() {
    echo_outstanding = 0;  // Any message proves the peer alive.
    std::optional<Frame> frame;
    try {
      frame = decode(body);
    } catch (const DecodeError&) {
      // Messages we do not model (packet-in, flow-removed, ...) are not ours to handle.
      const Header h = decode_header(body);
      if (hello_waiter && h.type == static_cast<std::uint8_t>(MessageType::hello)) {
        auto waiter = std::move(hello_waiter);
        hello_waiter = nullptr;
        waiter(std::nullopt);
        if (!finished) read_header();
        return;
      }
      if (auto it = pending.find(h.xid); it != pending.end() && h.type != static_cast<std::uint8_t>(MessageType::hello))
        complete(it, make_error_code(SessionError::protocol));
    }
    if (frame) dispatch(std::move(*frame));
    if (!finished) read_header();
  }

  void dispatch(Frame f) {
    if (hello_waiter && std::holds_alternative<Hello>(f.message)) {
      auto waiter = std::move(hello_waiter);
      hello_waiter = nullptr;
      return waiter(std::move(f));
    }
    if (const auto* echo = std::get_if<EchoRequest>(&f.message)) {
      write(EchoReply{echo->data}, f.xid);
      return;
    }
    if (std::holds_alternative<EchoReply>(f.message) && !pending.contains(f.xid)) return;
    if (const auto* ps = std::get_if<PortStatus>(&f.message)) {
      if (port_status) port_status(*ps);
      return;
    }
    auto it = pending.find(f.xid);
    if (it == pending.end()) {
      if (std::holds_alternative<ErrorMessage>(f.message)) stray_errors.push_back(std::move(f));
      return;
    }
    const auto* error = std::get_if<ErrorMessage>(&f.message);
    const std::error_code ec = error ? make_error_code(error->code) : std::error_code{};
    const auto* mp = std::get_if<MultipartReply>(&f.message);
    const bool more = mp && (mp->flags & multipart_more);
    it->second.frames.push_back(std::move(f));
    if (ec || !more) complete(it, ec);
  }

  void complete(std::map<std::uint32_t, Pending>::iterator it, std::error_code ec) {
    Pending p = std::move(it->second);
    pending.erase(it);
    p.handler(ec, std::move(p.frames));
  }

  // -- writing
  std::uint32_t write(const Message& m, std::optional<std::uint32_t> xid = std::nullopt) {
    const std::uint32_t id = xid ? *xid : next_xid++;
    encode(m, version, id, outbox);
    if (!writing) write_next();
    return id;
  }

  // A BundleAdd of `mod`, encoded straight from it.
  std::uint32_t write_bundle_add(std::uint32_t bundle, std::uint16_t flags, const Message& mod) {
    const std::uint32_t id = next_xid++;
    encode_bundle_add(bundle, flags, mod, version, id, outbox);
    if (!writing) write_next();
    return id;
  }

  void write_next() {
    if (outbox.empty()) {
      writing = false;
      return;
    }
    writing = true;
    in_flight.swap(outbox);
    outbox.clear();
    stream.async_write(asio::buffer(in_flight), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->fail(to_std(ec));
      self->write_next();
    });
  }

  void request(const Message& m, FramesHandler handler) {
    if (finished) {
      asio::post(io, [handler] { handler(make_error_code(SessionError::closed), {}); });
      return;
    }
    const std::uint32_t xid = next_xid++;
    pending.emplace(xid, Pending{std::move(handler), {}, Clock::now() + opt.request_timeout});
    write(m, xid);
  }

  // -- keepalive and time-outs
  void schedule_tick() {
    tick.expires_after(std::chrono::milliseconds(250));
    tick.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->finished) return;
      self->on_tick();
      self->schedule_tick();
    });
  }

  void on_tick() {
    const auto now = Clock::now();
    for (auto it = pending.begin(); it != pending.end();) {
      auto next = std::next(it);
      if (it->second.deadline <= now) complete(it, make_error_code(SessionError::timed_out));
      it = next;
    }
    if (opt.echo_interval.count() == 0 || !open || now - last_echo < opt.echo_interval) return;
    if (echo_outstanding >= opt.echo_misses) return fail(make_error_code(SessionError::peer_dead));
    last_echo = now;
    ++echo_outstanding;
    write(EchoRequest{});
  }

  void fail(std::error_code ec) {
    if (finished) return;
    finished = true;
    open = false;
    tick.cancel();
    handshake_deadline.cancel();
    stream.close();
    hello_waiter = nullptr;
    if (auto failed = std::move(handshake_failed)) failed(ec);
    auto waiting = std::move(pending);
    pending.clear();
    for (auto& [xid, p] : waiting) p.handler(ec, std::move(p.frames));
    if (closed) closed(ec);
  }

  // -- handshake: HELLO both ways, then FEATURES.
  void handshake(std::function<void(std::error_code)> done) {
    // Completes once: with the handshake's outcome, or with why the connection failed first.
    auto finish = std::make_shared<std::function<void(std::error_code)>>(
        [done = std::move(done), called = false](std::error_code ec) mutable {
          if (!std::exchange(called, true)) done(ec);
        });
    handshake_failed = [finish](std::error_code ec) { (*finish)(ec); };
    hello_waiter = [self = shared_from_this(), finish](std::optional<Frame> f) {
      std::optional<Version> chosen;
      for (Version v : self->opt.versions) {
        if (!f) break;
        const auto& hello = std::get<Hello>(f->message);
        const bool peer_has =
            hello.versions.empty() ? v <= f->version : std::count(hello.versions.begin(), hello.versions.end(), v) > 0;
        if (peer_has && (!chosen || v > *chosen)) chosen = v;
      }
      if (!chosen) {
        self->write(ErrorMessage{ErrorCode{0, 0}, {}});  // OFPET_HELLO_FAILED / OFPHFC_INCOMPATIBLE
        self->fail(make_error_code(SessionError::version_mismatch));
        return (*finish)(make_error_code(SessionError::version_mismatch));
      }
      self->version = *chosen;
      self->request(FeaturesRequest{}, [self, finish](std::error_code ec, std::vector<Frame> frames) {
        if (!ec && (frames.empty() || !std::holds_alternative<FeaturesReply>(frames.back().message)))
          ec = make_error_code(SessionError::protocol);
        if (ec) {
          self->fail(ec);
          return (*finish)(ec);
        }
        self->dpid = std::get<FeaturesReply>(frames.back().message).datapath_id;
        self->open = true;
        self->handshake_deadline.cancel();
        self->handshake_failed = nullptr;
        (*finish)({});
      });
    };
    version = highest();
    write(Hello{opt.versions});
    read_header();
    schedule_tick();
    // The whole handshake shares the request time-out.
    handshake_deadline.expires_after(opt.request_timeout);
    handshake_deadline.async_wait([self = shared_from_this(), finish](boost::system::error_code ec) {
      if (ec || self->open || self->finished) return;
      self->fail(make_error_code(SessionError::timed_out));
      (*finish)(make_error_code(SessionError::timed_out));
    });
  }
};

// ---- Session ---------------------------------------------------------------------------

Session::Session(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() {
  if (impl_) impl_->fail(make_error_code(SessionError::closed));
}

std::uint32_t Session::send(const Message& message) { return impl_->write(message); }
Version Session::version() const noexcept { return impl_->version; }
std::uint64_t Session::datapath_id() const noexcept { return impl_->dpid; }
const Target& Session::target() const noexcept { return impl_->target; }
bool Session::is_open() const noexcept { return impl_->open; }
void Session::on_port_status(std::function<void(const PortStatus&)> handler) { impl_->port_status = std::move(handler); }
void Session::on_closed(std::function<void(std::error_code)> handler) { impl_->closed = std::move(handler); }
void Session::close() { impl_->fail(make_error_code(SessionError::closed)); }

void Session::request_impl(Message message, FramesHandler handler) { impl_->request(message, std::move(handler)); }

void Session::barrier_impl(FramesHandler handler) {
  impl_->request(BarrierRequest{}, [impl = impl_, handler](std::error_code ec, std::vector<Frame> frames) {
    if (ec) return handler(ec, std::move(frames));
    std::vector<Frame> errors = std::move(impl->stray_errors);
    impl->stray_errors.clear();
    const std::error_code first =
        errors.empty() ? std::error_code{} : make_error_code(std::get<ErrorMessage>(errors.front().message).code);
    handler(first, std::move(errors));
  });
}

namespace {

struct BundleRun {
  std::shared_ptr<const std::vector<Message>> mods;
  Session::BundleHandler handler;
  std::size_t next = 0;
  BundleResult result;
};

}  // namespace

void Session::bundle_impl(std::shared_ptr<const std::vector<Message>> mods, BundleHandler handler) {
  for (const Message& m : *mods)
    if (!std::holds_alternative<FlowMod>(m) && !std::holds_alternative<GroupMod>(m))
      throw Error("async_bundle: only flow and group modifications go in a bundle, not " + std::string(type_name(m)));
  auto run = std::make_shared<BundleRun>(BundleRun{std::move(mods), std::move(handler), 0, {}});
  auto impl = impl_;
  auto step = std::make_shared<std::function<void()>>();
  *step = [impl, run, step] {
    if (run->next >= run->mods->size()) {
      auto done = std::move(run->handler);
      auto result = std::move(run->result);
      *step = nullptr;  // breaks the cycle, and destroys this lambda: touch no capture after it
      return done({}, std::move(result));
    }
    const std::uint32_t id = impl->next_bundle++;
    constexpr std::uint16_t flags = bundle_atomic | bundle_ordered;
    const std::size_t first = run->next;
    const std::size_t last = std::min(run->mods->size(), first + std::max<std::size_t>(1, impl->opt.bundle_chunk));
    auto fail = [impl, run, step](std::error_code ec) {
      auto done = std::move(run->handler);
      auto result = std::move(run->result);
      *step = nullptr;
      done(ec, std::move(result));
    };
    impl->request(BundleControl{id, BundleControlType::open_request, flags},
                  [impl, run, step, id, first, last, fail](std::error_code ec, std::vector<Frame> frames) {
                    if (ec) return fail(ec);
                    // Nothing else is written meanwhile, so the adds get consecutive xids.
                    std::uint32_t first_xid = 0;
                    for (std::size_t i = first; i < last; ++i) {
                      const std::uint32_t xid = impl->write_bundle_add(id, flags, (*run->mods)[i]);
                      if (i == first) first_xid = xid;
                    }
                    impl->request(BundleControl{id, BundleControlType::commit_request, flags},
                                  [impl, run, step, first, last, first_xid, fail](std::error_code ec2, std::vector<Frame>) {
                                    if (!ec2) {
                                      run->result.messages += last - first;
                                      ++run->result.bundles;
                                      run->next = last;
                                      return (*step)();
                                    }
                                    // The switch names the refused message by its xid.
                                    for (auto it = impl->stray_errors.begin(); it != impl->stray_errors.end(); ++it) {
                                      const std::uint32_t offset = it->xid - first_xid;
                                      if (offset >= last - first) continue;
                                      run->result.failed_index = first + offset;
                                      run->result.error = std::get<ErrorMessage>(it->message);
                                      ec2 = make_error_code(run->result.error->code);
                                      impl->stray_errors.erase(it);
                                      break;
                                    }
                                    fail(ec2);
                                  });
                    (void)frames;
                  });
  };
  (*step)();
}

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
