#pragma once
/// @file
/// The libopenvswitch transport: the same vtap::Transport as make_native_transport(), but
/// every message goes through Open vSwitch's own library (built from Debian's
/// openvswitch-source; CMake option VTAP_WITH_OPENVSWITCH, target libvtap::openvswitch):
///
/// - connections are OVS `vconn`s (`vconn_open_block`), so `tcp:`, `unix:` and `ssl:`
///   targets mean what they mean to `ovs-ofctl`;
/// - FlowMods, GroupMods and MeterMods are printed in `ovs-ofctl` syntax
///   (FlowRule::to_string() and friends), parsed by OVS's `parse_ofp_*_str` and encoded by
///   its `ofputil_encode_*`;
/// - bundles carry what `ovs-ofctl --bundle` sends (`vconn_bundle_transact`: open, the adds,
///   a barrier to see refused adds, commit), pipelined: each message is encoded as it is
///   written, and the next bundle's adds go out while the switch checks and commits the
///   one before (each commit still waits for the bundle before it);
/// - replies are decoded by OVS's `ofputil_decode_*`.
///
/// Both transports install and read back identical state (tests/cpp/transport_test.cpp
/// runs one suite over both).
///
/// Differences from the native transport:
/// - SessionOptions::echo_interval and echo_misses are not used (an OVS management
///   connection sends no echo requests; ours answer the switch's, if any);
///   request_timeout bounds connecting, every request, and a run of bundles while the
///   switch neither reads nor answers (which closes the connection).
/// - SSL key, certificate and CA certificate are process-wide in libopenvswitch: the
///   first ssl: connection sets them, and a later one with different files throws Error.
/// - A switch that shares no version with us gives SessionError::version_mismatch when
///   libopenvswitch read its HELLO before the switch hung up, else the system error of the
///   broken connection (EPIPE, ECONNRESET).
/// - SIGPIPE is blocked in the calling thread while libopenvswitch does I/O (it would kill
///   the process; OVS's own programs ignore it process-wide).
/// - Connections may be used from any threads (one thread at a time per connection).

#include <memory>

#include "libvtap/transport/transport.hpp"

namespace vtap {

/// The transport over libopenvswitch. Throws nothing; connect() throws like the native one.
std::shared_ptr<Transport> make_openvswitch_transport();

}  // namespace vtap
