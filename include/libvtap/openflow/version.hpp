#pragma once
/// @file
/// The OpenFlow protocol versions libvtap speaks on the wire.

#include <cstdint>
#include <optional>
#include <string_view>

namespace vtap::openflow {

/// An OpenFlow wire version: the value of `ofp_header.version`.
enum class Version : std::uint8_t {
  of13 = 4,  ///< OpenFlow 1.3 (0x04).
  of14 = 5,  ///< OpenFlow 1.4 (0x05).
  of15 = 6,  ///< OpenFlow 1.5 (0x06).
};

/// The name `ovs-ofctl -O` uses for `v`: "OpenFlow13", "OpenFlow14" or "OpenFlow15".
constexpr std::string_view to_string(Version v) noexcept {
  switch (v) {
    case Version::of13: return "OpenFlow13";
    case Version::of14: return "OpenFlow14";
    case Version::of15: return "OpenFlow15";
  }
  return "OpenFlow??";
}

/// The inverse of to_string; nullopt for any other text.
constexpr std::optional<Version> version_from_string(std::string_view text) noexcept {
  for (Version v : {Version::of13, Version::of14, Version::of15}) {
    if (to_string(v) == text) return v;
  }
  return std::nullopt;
}

/// The version whose `ofp_header.version` byte is `wire`; nullopt for versions libvtap does
/// not speak (1.0 to 1.2, or anything newer than 1.5).
constexpr std::optional<Version> version_from_wire(std::uint8_t wire) noexcept {
  if (wire < 4 || wire > 6) return std::nullopt;
  return static_cast<Version>(wire);
}

}  // namespace vtap::openflow
