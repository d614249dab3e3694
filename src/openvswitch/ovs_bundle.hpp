#pragma once
// Flow and group modifications sent to a switch in atomic, ordered bundles over a
// libopenvswitch vconn, the messages encoded by OVS (ovs_codec.hpp), as `ovs-ofctl
// --bundle` sends them (vconn_bundle_transact: open, the adds, a barrier to see refused
// adds, commit or discard), but pipelined: each message is encoded just before it is
// written, so the switch works on one while the next is encoded, and the next bundle's
// adds go out while the switch still checks and commits the one before. A bundle is
// committed only once its barrier showed no refused add and the bundle before it is
// committed, so the outcome is that of committing the bundles one after another.

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <span>

#include "libvtap/openflow/messages.hpp"
#include "libvtap/transport/change_set.hpp"
#include "ovs_codec.hpp"

struct vconn;

namespace vtap::ovs {

/// How send_bundles() ended. At most one of error, io_error, timed_out and encode_error
/// is set; none when every bundle was committed.
struct BundleOutcome {
  openflow::BundleResult result;            ///< The bundles and messages committed.
  Buffer error;                             ///< The switch's OFPT_ERROR that stopped the bundles.
  std::optional<std::size_t> failed_index;  ///< The message `error` refuses, when it names one.
  int io_error = 0;                         ///< The errno (EOF: closed) that broke the connection.
  bool timed_out = false;                   ///< The switch neither read nor answered within the timeout.
  std::exception_ptr encode_error;          ///< What the encoder threw for a message.
};

/// Encodes one flow or group mod (for example ovs::encode), with a fresh xid.
using Encoder = std::function<Buffer(const openflow::Message&)>;

/// Sends `mods` (flow and group mods) over `v` in bundles of at most `chunk` messages.
/// When the switch refuses something, the bundles before the refused one are committed
/// (as they would have been one after another), the refused one and any after it are
/// discarded, and the outcome names the switch's error (of the earliest refused bundle).
/// After io_error or timed_out the vconn is in no state to be used again. Call it with
/// SIGPIPE blocked (SigpipeGuard).
BundleOutcome send_bundles(vconn* v, openflow::Version version, std::span<const openflow::Message> mods,
                           std::size_t chunk, std::chrono::milliseconds timeout, const Encoder& encode);

}  // namespace vtap::ovs
