#pragma once
/// @file
/// Value types for link-layer and network-layer addresses.
///
/// Every type parses from and prints to the text form OVS tools use, and
/// `parse(x.to_string()) == x` holds for every value.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace vtap {

/// A 48-bit Ethernet address, printed as `fa:00:00:00:00:01`.
class MacAddress {
 public:
  using Bytes = std::array<std::uint8_t, 6>;
  constexpr MacAddress() = default;
  constexpr explicit MacAddress(const Bytes& bytes) : bytes_(bytes) {}
  /// Parses `xx:xx:xx:xx:xx:xx` (hex, case-insensitive). Throws ParseError.
  static MacAddress parse(std::string_view text);
  static std::optional<MacAddress> try_parse(std::string_view text) noexcept;
  std::string to_string() const;
  constexpr const Bytes& bytes() const noexcept { return bytes_; }
  /// True for group (multicast and broadcast) addresses.
  bool is_multicast() const noexcept { return (bytes_[0] & 1U) != 0; }
  auto operator<=>(const MacAddress&) const = default;

 private:
  Bytes bytes_{};
};

/// An IPv4 address; `value()` is in host byte order.
class Ipv4Address {
 public:
  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(std::uint32_t value) : value_(value) {}
  /// Parses dotted-quad `10.1.1.1`. Throws ParseError.
  static Ipv4Address parse(std::string_view text);
  static std::optional<Ipv4Address> try_parse(std::string_view text) noexcept;
  std::string to_string() const;
  constexpr std::uint32_t value() const noexcept { return value_; }
  std::array<std::uint8_t, 4> bytes() const noexcept;
  auto operator<=>(const Ipv4Address&) const = default;

 private:
  std::uint32_t value_ = 0;
};

/// An IPv6 address, printed in RFC 5952 canonical form.
class Ipv6Address {
 public:
  using Bytes = std::array<std::uint8_t, 16>;
  constexpr Ipv6Address() = default;
  constexpr explicit Ipv6Address(const Bytes& bytes) : bytes_(bytes) {}
  /// Parses RFC 4291 text (`::` compression, embedded IPv4 tail). Throws ParseError.
  static Ipv6Address parse(std::string_view text);
  static std::optional<Ipv6Address> try_parse(std::string_view text) noexcept;
  std::string to_string() const;
  constexpr const Bytes& bytes() const noexcept { return bytes_; }
  auto operator<=>(const Ipv6Address&) const = default;

 private:
  Bytes bytes_{};
};

/// Either an IPv4 or an IPv6 address.
class IpAddress {
 public:
  IpAddress() = default;
  IpAddress(Ipv4Address v4) : value_(v4) {}  // NOLINT: implicit by design
  IpAddress(Ipv6Address v6) : value_(v6) {}  // NOLINT: implicit by design
  /// Parses either family (IPv6 when the text contains ':'). Throws ParseError.
  static IpAddress parse(std::string_view text);
  std::string to_string() const;
  bool is_v4() const noexcept { return std::holds_alternative<Ipv4Address>(value_); }
  bool is_v6() const noexcept { return !is_v4(); }
  const Ipv4Address& v4() const { return std::get<Ipv4Address>(value_); }
  const Ipv6Address& v6() const { return std::get<Ipv6Address>(value_); }
  auto operator<=>(const IpAddress&) const = default;

 private:
  std::variant<Ipv4Address, Ipv6Address> value_;
};

/// An IPv4 network: address with its host bits cleared, and a length 0..32.
class Ipv4Prefix {
 public:
  Ipv4Prefix() = default;
  /// Clears the host bits of `address`. Throws ParseError when length > 32.
  Ipv4Prefix(Ipv4Address address, unsigned length);
  /// Parses `10.0.0.0/8`; a bare address is a /32. Throws ParseError.
  static Ipv4Prefix parse(std::string_view text);
  std::string to_string() const;
  Ipv4Address address() const noexcept { return address_; }
  unsigned length() const noexcept { return length_; }
  std::uint32_t mask() const noexcept;
  bool contains(Ipv4Address a) const noexcept;
  auto operator<=>(const Ipv4Prefix&) const = default;

 private:
  Ipv4Address address_;
  unsigned length_ = 0;
};

/// An IPv6 network: address with its host bits cleared, and a length 0..128.
class Ipv6Prefix {
 public:
  Ipv6Prefix() = default;
  Ipv6Prefix(Ipv6Address address, unsigned length);
  /// Parses `2001:db8::/32`; a bare address is a /128. Throws ParseError.
  static Ipv6Prefix parse(std::string_view text);
  std::string to_string() const;
  Ipv6Address address() const noexcept { return address_; }
  unsigned length() const noexcept { return length_; }
  Ipv6Address::Bytes mask() const noexcept;
  bool contains(const Ipv6Address& a) const noexcept;
  auto operator<=>(const Ipv6Prefix&) const = default;

 private:
  Ipv6Address address_;
  unsigned length_ = 0;
};

}  // namespace vtap

template <>
struct std::hash<vtap::MacAddress> {
  std::size_t operator()(const vtap::MacAddress& m) const noexcept;
};
template <>
struct std::hash<vtap::Ipv4Address> {
  std::size_t operator()(const vtap::Ipv4Address& a) const noexcept { return std::hash<std::uint32_t>{}(a.value()); }
};
template <>
struct std::hash<vtap::Ipv6Address> {
  std::size_t operator()(const vtap::Ipv6Address& a) const noexcept;
};
template <>
struct std::hash<vtap::IpAddress> {
  std::size_t operator()(const vtap::IpAddress& a) const noexcept;
};
