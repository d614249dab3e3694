// Tests for the address value types: golden parses, rejected text, RFC 5952 printing,
// prefixes and hashing.

#include "libvtap/model/address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "expect_error.hpp"
#include "libvtap/model/error.hpp"

namespace vtap {
namespace {


// ---------------------------------------------------------------------------------------
// MacAddress

TEST(MacAddress, ParsesAndPrintsLowercase) {
  const MacAddress mac = MacAddress::parse("FA:16:3E:0a:Bc:01");
  EXPECT_EQ(mac.bytes(), (MacAddress::Bytes{0xfa, 0x16, 0x3e, 0x0a, 0xbc, 0x01}));
  EXPECT_EQ(mac.to_string(), "fa:16:3e:0a:bc:01");
  EXPECT_EQ(MacAddress().to_string(), "00:00:00:00:00:00");
  EXPECT_EQ(MacAddress::parse("ff:ff:ff:ff:ff:ff").to_string(), "ff:ff:ff:ff:ff:ff");
}

TEST(MacAddress, RejectsMalformedText) {
  const std::vector<std::string> bad = {
      "",
      "00:11:22:33:44",           // five groups
      "00:11:22:33:44:55:66",     // seven groups
      "0:11:22:33:44:55",         // one-digit group
      "000:11:22:33:44:55",       // three-digit group
      "00-11-22-33-44-55",        // wrong separator
      "00:11:22:33:44:55:",       // trailing separator
      " 00:11:22:33:44:55",       // leading space
      "00:11:22:33:44:55 ",       // trailing space
      "zz:00:00:00:00:00",        // not hex
      "0x:11:22:33:44:55",
      "001122334455",
      "00:11:22:33:44::5",
  };
  for (const auto& text : bad) {
    EXPECT_FALSE(MacAddress::try_parse(text).has_value()) << text;
    expect_parse_error([&] { (void)MacAddress::parse(text); }, "invalid MAC address \"" + text + "\"");
  }
}

TEST(MacAddress, MulticastBitAndOrdering) {
  EXPECT_TRUE(MacAddress::parse("01:00:5e:00:00:01").is_multicast());
  EXPECT_TRUE(MacAddress::parse("ff:ff:ff:ff:ff:ff").is_multicast());
  EXPECT_FALSE(MacAddress::parse("fa:16:3e:00:00:01").is_multicast());
  EXPECT_LT(MacAddress::parse("00:00:00:00:00:02"), MacAddress::parse("00:00:00:00:01:00"));
  EXPECT_EQ(MacAddress::parse("aa:bb:cc:dd:ee:ff"), MacAddress::parse("AA:BB:CC:DD:EE:FF"));
}

// ---------------------------------------------------------------------------------------
// Ipv4Address

TEST(Ipv4Address, ParsesDottedQuad) {
  EXPECT_EQ(Ipv4Address::parse("10.1.2.3").value(), 0x0a010203U);
  EXPECT_EQ(Ipv4Address::parse("0.0.0.0").value(), 0U);
  EXPECT_EQ(Ipv4Address::parse("255.255.255.255").value(), 0xffffffffU);
  EXPECT_EQ(Ipv4Address(0xc0a80001U).to_string(), "192.168.0.1");
  EXPECT_EQ(Ipv4Address(0xc0a80001U).bytes(), (std::array<std::uint8_t, 4>{192, 168, 0, 1}));
  EXPECT_LT(Ipv4Address::parse("9.255.255.255"), Ipv4Address::parse("10.0.0.0"));
}

TEST(Ipv4Address, RejectsMalformedText) {
  const std::vector<std::string> bad = {
      "",         "1.2.3",       "1.2.3.4.5", "256.0.0.1",  "1.2.3.256",  "+1.2.3.4",  "1.+2.3.4",
      " 1.2.3.4", "1.2.3.4 ",    "1. 2.3.4",  "x1.2.3.4",   "1.2.3.4x",   "1..2.3",    "1.2.3.",
      ".1.2.3",   "1.2.3.-4",    "1.2.3.1234", "a.b.c.d",   "0x1.2.3.4",  "1.2.3.4/8", "4294967295",
      "01.2.3.4",  // a leading zero is octal to inet_aton and decimal to others: ambiguous
  };
  for (const auto& text : bad) {
    EXPECT_FALSE(Ipv4Address::try_parse(text).has_value()) << text;
    expect_parse_error([&] { (void)Ipv4Address::parse(text); }, "invalid IPv4 address \"" + text + "\"");
  }
}

// ---------------------------------------------------------------------------------------
// Ipv6Address

TEST(Ipv6Address, PrintsRfc5952CanonicalForm) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"::", "::"},
      {"::1", "::1"},
      {"1::", "1::"},
      {"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:db8::0:1", "2001:db8::1"},
      // Longest run wins; a tie goes to the leftmost run.
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      // A single zero group is never compressed.
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      {"fe80::1:2:3:4:5:6", "fe80:0:1:2:3:4:5:6"},
      {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
      {"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
      {"1:0:0:0:0:0:0:0", "1::"},
      {"0:0:0:0:0:0:0:0", "::"},
      {"FE80::ABCD:EF01", "fe80::abcd:ef01"},
      {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"},
      // Embedded IPv4: kept dotted only for IPv4-mapped addresses (RFC 5952 section 5).
      {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
      {"::ffff:0102:0304", "::ffff:1.2.3.4"},
      {"::1.2.3.4", "::102:304"},
      {"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
      {"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
  };
  for (const auto& [in, out] : cases) {
    const Ipv6Address a = Ipv6Address::parse(in);
    EXPECT_EQ(a.to_string(), out) << "input " << in;
    EXPECT_EQ(Ipv6Address::parse(a.to_string()), a) << "input " << in;
  }
}

TEST(Ipv6Address, ParsesBytes) {
  const Ipv6Address a = Ipv6Address::parse("2001:db8::ff00:42:8329");
  EXPECT_EQ(a.bytes(),
            (Ipv6Address::Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0x00, 0x42, 0x83, 0x29}));
  const Ipv6Address mapped = Ipv6Address::parse("::ffff:192.168.1.2");
  EXPECT_EQ(mapped.bytes()[10], 0xff);
  EXPECT_EQ(mapped.bytes()[11], 0xff);
  EXPECT_EQ(mapped.bytes()[12], 192);
  EXPECT_EQ(mapped.bytes()[15], 2);
}

TEST(Ipv6Address, RejectsMalformedText) {
  const std::vector<std::string> bad = {
      "",
      ":",
      ":::",
      "1:::2",
      "1::2::3",
      "12345::",
      "1:2:3:4:5:6:7",           // seven groups, no "::"
      "1:2:3:4:5:6:7:8:9",       // nine groups
      "1:2:3:4:5:6::7:8",        // "::" must stand for at least one group
      "1:2:3:4:5:6:7:8::",
      "::1:2:3:4:5:6:7:8",
      ":1::",
      "1::2:",
      ":1:2:3:4:5:6:7:8",
      "::1.2.3",
      "::1.2.3.256",
      "::1.2.3.4:5",             // IPv4 only as the last element
      "1.2.3.4::",
      "1:2:3:4:5:6:7:1.2.3.4",   // nine groups' worth
      "::01.2.3.4",
      "fe80::1%eth0",            // zone identifiers are not addresses
      "g::",
      " ::1",
      "::1 ",
      "1.2.3.4",
      "[::1]",
      "::1/64",
  };
  for (const auto& text : bad) {
    EXPECT_FALSE(Ipv6Address::try_parse(text).has_value()) << text;
    expect_parse_error([&] { (void)Ipv6Address::parse(text); }, "invalid IPv6 address \"" + text + "\"");
  }
}

// ---------------------------------------------------------------------------------------
// IpAddress

TEST(IpAddress, ChoosesFamilyByColon) {
  const IpAddress v4 = IpAddress::parse("10.0.0.1");
  const IpAddress v6 = IpAddress::parse("2001:db8::1");
  ASSERT_TRUE(v4.is_v4());
  ASSERT_TRUE(v6.is_v6());
  EXPECT_EQ(v4.v4().value(), 0x0a000001U);
  EXPECT_EQ(v6.to_string(), "2001:db8::1");
  EXPECT_EQ(v4.to_string(), "10.0.0.1");
  EXPECT_LT(v4, v6);  // every IPv4 address sorts before every IPv6 address
  EXPECT_THROW((void)v4.v6(), std::bad_variant_access);
  expect_parse_error([] { (void)IpAddress::parse("10.0.0"); }, "invalid IPv4 address \"10.0.0\"");
  expect_parse_error([] { (void)IpAddress::parse("10::0::1"); }, "invalid IPv6 address \"10::0::1\"");
}

// ---------------------------------------------------------------------------------------
// Prefixes

TEST(Ipv4Prefix, ConstructorClearsHostBits) {
  const Ipv4Prefix p(Ipv4Address::parse("10.1.2.3"), 8);
  EXPECT_EQ(p.address().to_string(), "10.0.0.0");
  EXPECT_EQ(p.length(), 8U);
  EXPECT_EQ(p.mask(), 0xff000000U);
  EXPECT_EQ(p.to_string(), "10.0.0.0/8");
  EXPECT_EQ(Ipv4Prefix(Ipv4Address::parse("10.1.2.3"), 0).to_string(), "0.0.0.0/0");
  EXPECT_EQ(Ipv4Prefix(Ipv4Address::parse("10.1.2.3"), 0).mask(), 0U);
  EXPECT_EQ(Ipv4Prefix(Ipv4Address::parse("10.1.2.3"), 32).mask(), 0xffffffffU);
  EXPECT_EQ(Ipv4Prefix(Ipv4Address::parse("10.1.2.255"), 25).to_string(), "10.1.2.128/25");
  EXPECT_THROW(Ipv4Prefix(Ipv4Address(), 33), ParseError);
}

TEST(Ipv4Prefix, ParsesAndContains) {
  EXPECT_EQ(Ipv4Prefix::parse("192.168.7.9/16").to_string(), "192.168.0.0/16");
  EXPECT_EQ(Ipv4Prefix::parse("192.168.7.9").length(), 32U);
  EXPECT_EQ(Ipv4Prefix::parse("192.168.7.9").to_string(), "192.168.7.9/32");
  const Ipv4Prefix net = Ipv4Prefix::parse("10.0.0.0/8");
  EXPECT_TRUE(net.contains(Ipv4Address::parse("10.255.0.1")));
  EXPECT_FALSE(net.contains(Ipv4Address::parse("11.0.0.0")));
  EXPECT_TRUE(Ipv4Prefix::parse("0.0.0.0/0").contains(Ipv4Address::parse("203.0.113.7")));
  EXPECT_TRUE(Ipv4Prefix::parse("1.2.3.4/32").contains(Ipv4Address::parse("1.2.3.4")));
  EXPECT_FALSE(Ipv4Prefix::parse("1.2.3.4/32").contains(Ipv4Address::parse("1.2.3.5")));
  EXPECT_LT(Ipv4Prefix::parse("10.0.0.0/8"), Ipv4Prefix::parse("10.0.0.0/16"));

  for (const std::string text : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/a", "/8", "10.0.0/8", "10.0.0.0/08",
                                 "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/255.0.0.0"}) {
    expect_parse_error([&] { (void)Ipv4Prefix::parse(text); }, "invalid IPv4 prefix \"" + text + "\"");
  }
}

TEST(Ipv6Prefix, ConstructorClearsHostBitsAndMasks) {
  const Ipv6Prefix p(Ipv6Address::parse("2001:db8:1234:5678::1"), 32);
  EXPECT_EQ(p.to_string(), "2001:db8::/32");
  const Ipv6Prefix odd(Ipv6Address::parse("2001:db8:ffff::"), 35);
  EXPECT_EQ(odd.to_string(), "2001:db8:e000::/35");
  const auto mask = Ipv6Prefix(Ipv6Address(), 65).mask();
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(mask[i], 0xff) << i;
  EXPECT_EQ(mask[8], 0x80);
  for (std::size_t i = 9; i < 16; ++i) EXPECT_EQ(mask[i], 0) << i;
  EXPECT_EQ(Ipv6Prefix(Ipv6Address::parse("::1"), 0).to_string(), "::/0");
  EXPECT_EQ(Ipv6Prefix(Ipv6Address::parse("::1"), 128).to_string(), "::1/128");
  EXPECT_THROW(Ipv6Prefix(Ipv6Address(), 129), ParseError);
}

TEST(Ipv6Prefix, ParsesAndContains) {
  const Ipv6Prefix net = Ipv6Prefix::parse("2001:db8::/32");
  EXPECT_TRUE(net.contains(Ipv6Address::parse("2001:db8:ffff::1")));
  EXPECT_FALSE(net.contains(Ipv6Address::parse("2001:db9::1")));
  EXPECT_TRUE(Ipv6Prefix::parse("::/0").contains(Ipv6Address::parse("fe80::1")));
  EXPECT_EQ(Ipv6Prefix::parse("fe80::1").length(), 128U);
  EXPECT_EQ(Ipv6Prefix::parse("fe80::1:2/112").to_string(), "fe80::1:0/112");
  for (const std::string text : {"2001:db8::/129", "2001:db8::/", "/64", "2001:db8::/x", "2001:db8:::/32"}) {
    expect_parse_error([&] { (void)Ipv6Prefix::parse(text); }, "invalid IPv6 prefix \"" + text + "\"");
  }
}

// ---------------------------------------------------------------------------------------
// Hashing

TEST(AddressHash, EqualValuesHashEqualAndDistinctValuesSpread) {
  EXPECT_EQ(std::hash<MacAddress>{}(MacAddress::parse("AA:00:00:00:00:01")),
            std::hash<MacAddress>{}(MacAddress::parse("aa:00:00:00:00:01")));
  EXPECT_EQ(std::hash<Ipv6Address>{}(Ipv6Address::parse("2001:db8::1")),
            std::hash<Ipv6Address>{}(Ipv6Address::parse("2001:DB8:0::0:1")));
  EXPECT_EQ(std::hash<IpAddress>{}(IpAddress::parse("10.0.0.1")), std::hash<IpAddress>{}(Ipv4Address(0x0a000001U)));

  std::unordered_set<MacAddress> macs;
  std::unordered_set<Ipv6Address> v6s;
  std::unordered_set<IpAddress> ips;
  for (unsigned i = 0; i < 1000; ++i) {
    MacAddress::Bytes b{};
    b[4] = static_cast<std::uint8_t>(i >> 8);
    b[5] = static_cast<std::uint8_t>(i);
    macs.insert(MacAddress(b));
    Ipv6Address::Bytes b6{};
    b6[14] = static_cast<std::uint8_t>(i >> 8);
    b6[15] = static_cast<std::uint8_t>(i);
    v6s.insert(Ipv6Address(b6));
    ips.insert(Ipv4Address(i));
    ips.insert(Ipv6Address(b6));
  }
  EXPECT_EQ(macs.size(), 1000U);
  EXPECT_EQ(v6s.size(), 1000U);
  EXPECT_EQ(ips.size(), 2000U);  // 0.0.0.i and ::i are different addresses
  // A decent hash spreads these over many buckets.
  std::unordered_set<std::size_t> hashes;
  for (const auto& m : macs) hashes.insert(std::hash<MacAddress>{}(m));
  EXPECT_EQ(hashes.size(), 1000U);
}

}  // namespace
}  // namespace vtap
