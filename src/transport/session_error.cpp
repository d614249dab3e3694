#include "libvtap/transport/session_error.hpp"

#include <string>

namespace vtap::openflow {

namespace {

class SessionCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "openflow.session"; }
  std::string message(int value) const override {
    switch (static_cast<SessionError>(value)) {
      case SessionError::version_mismatch: return "no OpenFlow version in common with the switch";
      case SessionError::peer_dead: return "the switch stopped answering echo requests";
      case SessionError::timed_out: return "no reply from the switch in time";
      case SessionError::closed: return "connection closed";
      case SessionError::protocol: return "malformed message from the switch";
      case SessionError::tls_handshake: return "TLS handshake failed (certificate not accepted?)";
    }
    return "unknown session error";
  }
};

class OpenflowCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "openflow"; }
  std::string message(int value) const override {
    const ErrorCode code = to_error_code(std::error_code(value, *this));
    const std::string_view name = error_name(code);
    if (name.empty() || name == "OFPERR_UNKNOWN")
      return "OpenFlow error type " + std::to_string(code.type) + " code " + std::to_string(code.code);
    return std::string(name);
  }
};

}  // namespace

const std::error_category& session_category() noexcept {
  static const SessionCategory category;
  return category;
}
std::error_code make_error_code(SessionError e) noexcept { return {static_cast<int>(e), session_category()}; }
const std::error_category& openflow_category() noexcept {
  static const OpenflowCategory category;
  return category;
}
std::error_code make_error_code(ErrorCode e) noexcept {
  return {static_cast<int>((static_cast<std::uint32_t>(e.type) << 16) | e.code), openflow_category()};
}
ErrorCode to_error_code(std::error_code ec) noexcept {
  const auto v = static_cast<std::uint32_t>(ec.value());
  return ErrorCode{static_cast<std::uint16_t>(v >> 16), static_cast<std::uint16_t>(v & 0xffff)};
}

std::string describe(std::error_code ec) {
  return ec.category() == openflow_category() || ec.category() == session_category()
             ? ec.message()
             : ec.message() + " (" + ec.category().name() + ")";
}

}  // namespace vtap::openflow
