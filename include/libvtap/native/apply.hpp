#pragma once
/// @file
/// Applying a ChangeSet over a native Session: meters_first, a barrier, the bundle
/// (Session::async_bundle), meters_last, a barrier. The native transport's SwitchConnection
/// is the blocking front of this.

#include <functional>
#include <memory>
#include <system_error>

#include "libvtap/native/session.hpp"
#include "libvtap/transport/change_set.hpp"

namespace vtap::openflow {

using ApplyHandler = std::function<void(std::error_code, BundleResult)>;

void apply_impl(const std::shared_ptr<Session>& session, std::shared_ptr<const ChangeSet> change, ApplyHandler handler);

/// Sends `change`: meters_first, a barrier, the bundle (Session::async_bundle), meters_last,
/// a barrier. Stops at the first refusal, which the BundleResult describes. Signature
/// void(std::error_code, BundleResult).
template <class Token>
auto async_apply(const std::shared_ptr<Session>& session, ChangeSet change, Token&& token) {
  return async_apply(session, std::make_shared<const ChangeSet>(std::move(change)), std::forward<Token>(token));
}
/// The same for a change shared with the caller rather than copied; it must not change
/// until the operation completes.
template <class Token>
auto async_apply(const std::shared_ptr<Session>& session, std::shared_ptr<const ChangeSet> change, Token&& token) {
  return boost::asio::async_initiate<Token, void(std::error_code, BundleResult)>(
      [session](auto handler, std::shared_ptr<const ChangeSet> c) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        apply_impl(session, std::move(c), [shared](std::error_code ec, BundleResult r) { (*shared)(ec, std::move(r)); });
      },
      token, std::move(change));
}

}  // namespace vtap::openflow
