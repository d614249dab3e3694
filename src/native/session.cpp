// The OpenFlow channel: framing, handshake, keepalive, xid correlation. Bundles are in
// session_bundle.cpp, connecting and accepting in session_connect.cpp.

#include "libvtap/native/session.hpp"

#include "libvtap/model/error.hpp"
#include "session_impl.hpp"

namespace vtap::openflow {
namespace asio = boost::asio;
using detail::to_std;

// ---- Session::Impl ----------------------------------------------------------------------

// -- reading

void Session::Impl::read_header() {
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

void Session::Impl::on_message() {
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

void Session::Impl::dispatch(Frame f) {
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

void Session::Impl::complete(std::map<std::uint32_t, Pending>::iterator it, std::error_code ec) {
  Pending p = std::move(it->second);
  pending.erase(it);
  p.handler(ec, std::move(p.frames));
}

// -- writing

std::uint32_t Session::Impl::write(const Message& m, std::optional<std::uint32_t> xid) {
  const std::uint32_t id = xid ? *xid : next_xid++;
  encode(m, version, id, outbox);
  if (!writing) write_next();
  return id;
}

// A BundleAdd of `mod`, encoded straight from it.
std::uint32_t Session::Impl::write_bundle_add(std::uint32_t bundle, std::uint16_t flags, const Message& mod) {
  const std::uint32_t id = next_xid++;
  encode_bundle_add(bundle, flags, mod, version, id, outbox);
  if (!writing) write_next();
  return id;
}

void Session::Impl::write_next() {
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

void Session::Impl::request(const Message& m, FramesHandler handler) {
  if (finished) {
    asio::post(io, [handler] { handler(make_error_code(SessionError::closed), {}); });
    return;
  }
  const std::uint32_t xid = next_xid++;
  pending.emplace(xid, Pending{std::move(handler), {}, Clock::now() + opt.request_timeout});
  write(m, xid);
}

// -- keepalive and time-outs

void Session::Impl::schedule_tick() {
  tick.expires_after(std::chrono::milliseconds(250));
  tick.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->finished) return;
    self->on_tick();
    self->schedule_tick();
  });
}

void Session::Impl::on_tick() {
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

void Session::Impl::fail(std::error_code ec) {
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

void Session::Impl::handshake(std::function<void(std::error_code)> done) {
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

}  // namespace vtap::openflow
