#pragma once
/// @file
/// The error codes of a connection to a switch: the session's own (version mismatch, dead
/// peer, time-out, ...) and the OpenFlow errors a switch replies with, as std::error_code.

#include <string>
#include <system_error>

#include "libvtap/openflow/messages.hpp"

namespace vtap::openflow {

/// Errors of the session itself (category "openflow.session").
enum class SessionError {
  version_mismatch = 1,  ///< No OpenFlow version in common with the peer.
  peer_dead,             ///< Echo requests went unanswered.
  timed_out,             ///< A request got no reply in time.
  closed,                ///< The connection closed (or was closed) before a reply.
  protocol,              ///< The peer sent something malformed.
  tls_handshake,         ///< ssl: the TLS handshake failed (e.g. a certificate was refused).
};
const std::error_category& session_category() noexcept;
std::error_code make_error_code(SessionError e) noexcept;

/// OpenFlow errors a switch replied with (category "openflow"): value = type << 16 | code.
const std::error_category& openflow_category() noexcept;
std::error_code make_error_code(ErrorCode e) noexcept;
/// The OpenFlow error an error_code of openflow_category() carries.
ErrorCode to_error_code(std::error_code ec) noexcept;
/// `ec` as a transport error message says it: its message, followed by its category in
/// parentheses unless it is one of these two (e.g. `Connection refused (system)`).
std::string describe(std::error_code ec);

}  // namespace vtap::openflow

template <>
struct std::is_error_code_enum<vtap::openflow::SessionError> : std::true_type {};
