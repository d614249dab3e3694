#pragma once
/// @file
/// The transport interface: how libvtap reads and changes one switch's OpenFlow state,
/// whatever carries the messages (the native Asio codec, Open vSwitch's libopenvswitch).
///
/// A Transport opens SwitchConnections; a SwitchConnection reads flows, groups and meters,
/// applies a ChangeSet (meters first, flows and groups in atomic bundles, meter deletions
/// last, confirmed by a barrier) and reads counters. On those it builds what libvtap does
/// on a bridge it shares with other controllers (ownership.hpp): read_state() returns
/// exactly what libvtap owns (its cookies, every group and meter in its ranges, referenced
/// or not), check_ownership() refuses to change an id in those ranges that a rule of
/// someone else uses, and install() reads, diffs, checks and applies, and on a refusal puts
/// the switch back exactly as it was. Calls block; one connection is used by one thread at
/// a time, different connections by any threads.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "libvtap/model/error.hpp"
#include "libvtap/model/ownership.hpp"
#include "libvtap/model/plan.hpp"
#include "libvtap/openflow/messages.hpp"
#include "libvtap/transport/change_set.hpp"
#include "libvtap/transport/session_error.hpp"
#include "libvtap/transport/session_options.hpp"

namespace vtap {

/// A connection failed, timed out, or the switch refused a message. what() names the
/// switch target and, for a refusal, the OpenFlow error and the refused rule.
class TransportError : public Error {
 public:
  TransportError(std::error_code code, const std::string& message, std::optional<std::size_t> failed_index = {},
                 std::optional<openflow::ErrorMessage> switch_error = {})
      : Error(message), code_(code), failed_index_(failed_index), switch_error_(std::move(switch_error)) {}
  /// openflow::openflow_category() for an OpenFlow error the switch sent, else the transport's.
  std::error_code code() const noexcept { return code_; }
  /// Index in ChangeSet::bundle of the message the switch refused, when known.
  std::optional<std::size_t> failed_index() const noexcept { return failed_index_; }
  const std::optional<openflow::ErrorMessage>& switch_error() const noexcept { return switch_error_; }

 private:
  std::error_code code_;
  std::optional<std::size_t> failed_index_;
  std::optional<openflow::ErrorMessage> switch_error_;
};

/// A group or meter id in libvtap's range is used by a flow or group libvtap did not write:
/// another controller strayed into the range. Raised before anything is sent.
class OwnershipError : public Error {
 public:
  using Error::Error;
};

/// Counters of libvtap's rules on one switch.
struct SwitchStats {
  std::vector<openflow::FlowStats> flows;    ///< Every libvtap-owned flow (by cookie).
  std::vector<openflow::GroupStats> groups;  ///< The groups those flows use, buckets in order.
};

/// One open OpenFlow connection to one switch.
class SwitchConnection {
 public:
  virtual ~SwitchConnection() = default;

  /// The target it was opened with, e.g. `unix:/run/openvswitch/br0.mgmt`.
  virtual const std::string& target() const noexcept = 0;
  virtual std::uint64_t datapath_id() const noexcept = 0;
  virtual openflow::Version version() const noexcept = 0;
  /// False once the switch went away or close() was called.
  virtual bool is_open() const noexcept = 0;
  virtual void close() noexcept = 0;

  /// The flows whose cookie equals `cookie` under `cookie_mask` (0/0: every flow).
  virtual std::vector<FlowRule> read_flows(std::uint64_t cookie, std::uint64_t cookie_mask) = 0;
  /// Every group on the switch.
  virtual std::vector<GroupEntry> read_groups() = 0;
  /// Every meter on the switch.
  virtual std::vector<MeterEntry> read_meters() = 0;
  /// Sends `change` and waits for the switch to confirm it. On a refusal the refused
  /// bundle is discarded and TransportError says which message; chunks and meters sent
  /// before it stay (install() undoes them).
  virtual openflow::BundleResult apply(const openflow::ChangeSet& change) = 0;
  /// Counters of libvtap's flows (by cookie) and of the groups they use.
  virtual SwitchStats stats() = 0;

  /// What the switch holds of libvtap's: its flows (by cookie) and every group and meter in
  /// `owned`'s ranges, referenced or not; each list sorted.
  SwitchPlan read_state(const Ownership& owned = {});
  /// Throws OwnershipError, naming the id and the rule, when `change` would modify or delete
  /// a group or meter that a flow or group outside `owned` uses. Reads the switch's flows
  /// only when `change` modifies or deletes a group or meter.
  void check_ownership(const openflow::ChangeSet& change, const Ownership& owned = {});
  /// Brings the switch to `want` with the minimal change, after check_ownership(). If the
  /// switch refuses any part, everything already sent is undone, so the switch holds
  /// exactly what it held before, and the refusal is rethrown; when the undo itself fails
  /// (the switch went away), the error says so and the next install or reconciliation
  /// removes what remains.
  openflow::InstallReport install(const SwitchPlan& want, const Ownership& owned = {});
};

/// Opens connections; one Transport may serve many switches at once.
class Transport {
 public:
  virtual ~Transport() = default;
  /// "native" or "openvswitch".
  virtual std::string_view name() const noexcept = 0;
  /// Connects to `target` (`tcp:IP[:PORT]`, `ssl:IP[:PORT]`, `unix:PATH`), negotiates the
  /// version and reads the datapath id. Throws ParseError for a bad target, TransportError
  /// when the switch cannot be reached or shares no version.
  virtual std::unique_ptr<SwitchConnection> connect(std::string_view target,
                                                    const openflow::SessionOptions& options = {}) = 0;
};

}  // namespace vtap
