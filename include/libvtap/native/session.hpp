#pragma once
/// @file
/// An OpenFlow channel to one switch over Boost.Asio: active (`tcp:`, `unix:`, `ssl:` targets
/// like `ovs-ofctl`) or accepted by a Listener (switches connecting to us, like a controller
/// on 6653). HELLO version negotiation, FEATURES, echo keepalive with dead-peer detection,
/// xid correlation of replies (multipart replies are gathered), barriers, bundles split into
/// bounded chunks, time-outs, and OpenFlow errors as std::error_code. Many sessions share one
/// io_context; a session's handlers run on that io_context.
///
/// Every asynchronous operation takes an Asio completion token, so callers choose callbacks,
/// `boost::asio::use_future` or coroutines.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>

#include "libvtap/openflow/messages.hpp"
#include "libvtap/transport/change_set.hpp"
#include "libvtap/transport/session_error.hpp"
#include "libvtap/transport/session_options.hpp"
#include "libvtap/transport/target.hpp"

namespace vtap::openflow {

class Session : public std::enable_shared_from_this<Session> {
 public:
  using FramesHandler = std::function<void(std::error_code, std::vector<Frame>)>;
  using SessionHandler = std::function<void(std::error_code, std::shared_ptr<Session>)>;
  using BundleHandler = std::function<void(std::error_code, BundleResult)>;

  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Connects, negotiates the version and reads the datapath id. Signature
  /// void(std::error_code, std::shared_ptr<Session>).
  template <class Token>
  static auto async_connect(boost::asio::io_context& io, Target target, SessionOptions options, Token&& token) {
    return boost::asio::async_initiate<Token, void(std::error_code, std::shared_ptr<Session>)>(
        [&io](auto handler, Target t, SessionOptions o) {
          connect_impl(io, std::move(t), std::move(o), wrap<std::shared_ptr<Session>>(std::move(handler)));
        },
        token, std::move(target), std::move(options));
  }

  /// Sends `request` and gathers every reply with its xid (all parts of a multipart reply).
  /// An ERROR reply completes with an openflow_category() error and the ERROR frame.
  /// Signature void(std::error_code, std::vector<Frame>).
  template <class Token>
  auto async_request(Message request, Token&& token) {
    return boost::asio::async_initiate<Token, void(std::error_code, std::vector<Frame>)>(
        [self = shared_from_this()](auto handler, Message m) {
          self->request_impl(std::move(m), wrap<std::vector<Frame>>(std::move(handler)));
        },
        token, std::move(request));
  }

  /// Waits until the switch has processed everything sent before; completes with the first
  /// error the switch reported for a message sent with send() since the last barrier.
  /// Signature void(std::error_code, std::vector<Frame>) (the frames: those errors).
  template <class Token>
  auto async_barrier(Token&& token) {
    return boost::asio::async_initiate<Token, void(std::error_code, std::vector<Frame>)>(
        [self = shared_from_this()](auto handler) { self->barrier_impl(wrap<std::vector<Frame>>(std::move(handler))); },
        token);
  }

  /// Applies `mods` (FlowMod/GroupMod) atomically and in order: one bundle per
  /// options.bundle_chunk messages, each committed before the next opens. A refused message
  /// discards its bundle, stops, and completes with the switch's error and the message's
  /// index. Signature void(std::error_code, BundleResult).
  template <class Token>
  auto async_bundle(std::vector<Message> mods, Token&& token) {
    return async_bundle(std::make_shared<const std::vector<Message>>(std::move(mods)), std::forward<Token>(token));
  }
  /// The same for messages shared with the caller rather than copied (a large change is
  /// tens of megabytes); they must not change until the operation completes.
  template <class Token>
  auto async_bundle(std::shared_ptr<const std::vector<Message>> mods, Token&& token) {
    return boost::asio::async_initiate<Token, void(std::error_code, BundleResult)>(
        [self = shared_from_this()](auto handler, std::shared_ptr<const std::vector<Message>> m) {
          self->bundle_impl(std::move(m), wrap<BundleResult>(std::move(handler)));
        },
        token, std::move(mods));
  }

  /// Sends a message that has no reply (a FlowMod, GroupMod, MeterMod); returns its xid.
  std::uint32_t send(const Message& message);

  Version version() const noexcept;
  std::uint64_t datapath_id() const noexcept;
  const Target& target() const noexcept;
  bool is_open() const noexcept;

  /// Called for every PORT_STATUS the switch sends.
  void on_port_status(std::function<void(const PortStatus&)> handler);
  /// Called once when the session ends, with why.
  void on_closed(std::function<void(std::error_code)> handler);
  /// Closes the connection; pending operations complete with SessionError::closed.
  void close();

  struct Impl;
  explicit Session(std::shared_ptr<Impl> impl);

 private:

  // Handlers from completion tokens may be move-only; std::function needs copies.
  template <class T, class Handler>
  static std::function<void(std::error_code, T)> wrap(Handler handler) {
    auto shared = std::make_shared<Handler>(std::move(handler));
    return [shared](std::error_code ec, T value) { (*shared)(ec, std::move(value)); };
  }

  static void connect_impl(boost::asio::io_context& io, Target target, SessionOptions options, SessionHandler handler);
  void request_impl(Message message, FramesHandler handler);
  void barrier_impl(FramesHandler handler);
  void bundle_impl(std::shared_ptr<const std::vector<Message>> mods, BundleHandler handler);

  std::shared_ptr<Impl> impl_;
};

/// Accepts switches that connect to us (a switch configured with
/// `ovs-vsctl set-controller BR tcp:IP:PORT`), negotiates, and hands over each Session.
class Listener {
 public:
  /// Listens on `address:port` (port 0: any free port).
  Listener(boost::asio::io_context& io, const std::string& address, std::uint16_t port, SessionOptions options,
           Session::SessionHandler on_switch);
  ~Listener();
  std::uint16_t port() const noexcept;
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vtap::openflow

