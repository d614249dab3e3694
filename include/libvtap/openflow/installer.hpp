#pragma once
/// @file
/// Changing one switch's libvtap state: the minimal change between two SwitchPlans, and
/// applying it over a native Session — meters first, then flows and groups in atomic
/// bundles, then meter deletions — confirmed by a barrier. vtap::SwitchConnection
/// (transport.hpp) is the blocking front of this.

#include <cstddef>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "libvtap/openflow/session.hpp"
#include "libvtap/translator.hpp"

namespace vtap::openflow {

/// The minimal change that turns one switch's libvtap state `have` into `want`.
struct ChangeSet {
  std::vector<MeterMod> meters_first;  ///< Adds and modifications (OVS bundles hold no meters).
  std::vector<Message> bundle;         ///< Group adds/modifies, flow deletes, flow adds/modifies, group deletes.
  std::vector<MeterMod> meters_last;   ///< Deletions, once nothing uses them.
  std::size_t flows_added = 0, flows_modified = 0, flows_deleted = 0;
  std::size_t groups_added = 0, groups_modified = 0, groups_deleted = 0;
  std::size_t meters_added = 0, meters_modified = 0, meters_deleted = 0;

  bool empty() const noexcept { return meters_first.empty() && bundle.empty() && meters_last.empty(); }
  /// e.g. `+2 flows, ~1 group, -1 meter` or `no change`.
  std::string summary() const;
};

/// Pure: the change from `have` to `want`. Flows are the same rule when table, priority and
/// match agree (then a different cookie or action list is a modification).
ChangeSet diff(const SwitchPlan& have, const SwitchPlan& want);

/// What an install did.
struct InstallReport {
  ChangeSet change;
  BundleResult bundle;
};

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
