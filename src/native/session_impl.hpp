#pragma once
// Session's state, private to src/native/: the byte stream under a session and
// Session::Impl, whose member functions (framing, xid correlation, keepalive, handshake) are
// in session.cpp. session_bundle.cpp runs bundles over it; session_connect.cpp connects to a
// target and accepts switches (Listener).

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <type_traits>
#include <utility>
#include <variant>

#include "libvtap/native/session.hpp"

namespace vtap::openflow::detail {

namespace asio = boost::asio;

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

inline std::error_code to_std(const boost::system::error_code& ec) {
  if (!ec) return {};
  if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
    return make_error_code(SessionError::closed);
  return std::error_code(ec.value(), std::system_category());
}

}  // namespace vtap::openflow::detail

namespace vtap::openflow {

struct Session::Impl : std::enable_shared_from_this<Session::Impl> {
  using Clock = std::chrono::steady_clock;
  struct Pending {
    FramesHandler handler;
    std::vector<Frame> frames;
    Clock::time_point deadline;
  };

  boost::asio::io_context& io;
  Target target;
  SessionOptions opt;
  std::optional<boost::asio::ssl::context> ssl;
  detail::Stream stream;
  boost::asio::steady_timer tick;
  boost::asio::steady_timer handshake_deadline;
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

  Impl(boost::asio::io_context& context, Target t, SessionOptions o)
      : io(context), target(std::move(t)), opt(std::move(o)), tick(context), handshake_deadline(context) {}

  Version highest() const { return *std::max_element(opt.versions.begin(), opt.versions.end()); }

  // -- reading
  void read_header();
  void on_message();
  void dispatch(Frame f);
  void complete(std::map<std::uint32_t, Pending>::iterator it, std::error_code ec);

  // -- writing
  std::uint32_t write(const Message& m, std::optional<std::uint32_t> xid = std::nullopt);
  std::uint32_t write_bundle_add(std::uint32_t bundle, std::uint16_t flags, const Message& mod);
  void write_next();
  void request(const Message& m, FramesHandler handler);

  // -- keepalive and time-outs
  void schedule_tick();
  void on_tick();
  void fail(std::error_code ec);

  // -- handshake: HELLO both ways, then FEATURES.
  void handshake(std::function<void(std::error_code)> done);
};

}  // namespace vtap::openflow
