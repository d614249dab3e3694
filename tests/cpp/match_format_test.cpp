// Tests for the field table and the text of a Match: golden ovs-fields(7) text and the
// round trip of random valid matches.

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libvtap/model/match.hpp"
#include "match_generator.hpp"

namespace vtap {
namespace {

std::string canonical(std::string_view text) { return Match::parse(text).to_string(); }

// ---------------------------------------------------------------------------------------
// Field table

TEST(FieldTable, NamesAliasesAndWidths) {
  EXPECT_EQ(field_by_name("dl_src"), Field::eth_src);
  EXPECT_EQ(field_by_name("eth_src"), Field::eth_src);
  EXPECT_EQ(field_by_name("nw_src"), Field::ipv4_src);
  EXPECT_EQ(field_by_name("ip_src"), Field::ipv4_src);
  EXPECT_EQ(field_by_name("ip_proto"), Field::ip_proto);
  EXPECT_EQ(field_by_name("nw_proto"), Field::ip_proto);
  EXPECT_EQ(field_by_name("tunnel_id"), Field::tun_id);
  EXPECT_EQ(field_by_name("vlan_pcp"), Field::vlan_pcp);
  EXPECT_EQ(field_by_name("dl_vlan_pcp"), Field::vlan_pcp);
  EXPECT_EQ(field_by_name("udp_dst"), Field::udp_dst);
  EXPECT_EQ(field_by_name("sctp_src"), Field::sctp_src);
  EXPECT_EQ(field_by_name("icmp_type"), Field::icmpv4_type);
  EXPECT_EQ(field_by_name("icmpv4_code"), Field::icmpv4_code);
  EXPECT_EQ(field_by_name("ipv6_flabel"), Field::ipv6_label);
  EXPECT_EQ(field_by_name("vlan_vid"), Field::vlan_vid);
  // tp_src/tp_dst depend on nw_proto; only Match::parse can resolve them.
  EXPECT_FALSE(field_by_name("tp_src").has_value());
  EXPECT_FALSE(field_by_name("tp_dst").has_value());
  EXPECT_FALSE(field_by_name("TCP_DST").has_value());
  EXPECT_FALSE(field_by_name("").has_value());
  EXPECT_FALSE(field_by_name("nw_tos").has_value());

  EXPECT_EQ(field_info(Field::eth_src).name, "dl_src");
  EXPECT_EQ(field_info(Field::udp_dst).name, "tp_dst");
  EXPECT_EQ(field_info(Field::udp_dst).alias, "udp_dst");
  EXPECT_EQ(field_info(Field::mpls_label).bits, 20U);
  EXPECT_FALSE(field_info(Field::mpls_label).maskable);
  EXPECT_TRUE(field_info(Field::ipv4_src).maskable);
  EXPECT_FALSE(field_info(Field::eth_type).maskable);
  EXPECT_EQ(field_bytes(Field::in_port), 4U);
  EXPECT_EQ(field_bytes(Field::vlan_vid), 2U);
  EXPECT_EQ(field_bytes(Field::mpls_label), 3U);
  EXPECT_EQ(field_bytes(Field::eth_dst), 6U);
  EXPECT_EQ(field_bytes(Field::ipv6_dst), 16U);
  EXPECT_EQ(field_bytes(Field::mpls_bos), 1U);
  for (std::size_t i = 0; i < field_count; ++i) {
    const auto f = static_cast<Field>(i);
    EXPECT_EQ(field_info(f).field, f) << i;
    EXPECT_LE(field_bytes(f), sizeof(FieldBytes));
  }
}

// ---------------------------------------------------------------------------------------
// Parsing and printing: golden text

TEST(MatchText, GoldenCanonicalForms) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      // Empty matches.
      {"", ""},
      {"*", ""},
      {"  ", ""},
      // Shorthands, and shorthands spelled out.
      {"ip", "ip"},
      {"dl_type=0x0800", "ip"},
      {"eth_type=2048", "ip"},
      {"ipv6", "ipv6"},
      {"arp", "arp"},
      {"mpls", "mpls"},
      {"mplsm", "mplsm"},
      {"tcp", "tcp"},
      {"ip,nw_proto=6", "tcp"},
      {"dl_type=0x800,ip_proto=0x06", "tcp"},
      {"udp6", "udp6"},
      {"ipv6,nw_proto=17", "udp6"},
      {"sctp6", "sctp6"},
      {"icmp6", "icmp6"},
      {"ip,nw_proto=58", "ip,nw_proto=58"},
      {"ipv6,nw_proto=1", "ipv6,nw_proto=1"},
      {"ip,nw_proto=47", "ip,nw_proto=47"},
      {"dl_type=0x88cc", "dl_type=0x88cc"},
      {"dl_type=35020", "dl_type=0x88cc"},
      {"tcp,ip", "tcp"},
      {"tcp,tcp", "tcp"},
      // Field order is the enum order, after the shorthand.
      {"tp_dst=80,nw_src=10.0.0.1,in_port=3,tcp", "tcp,in_port=3,nw_src=10.0.0.1,tp_dst=80"},
      {"tcp,nw_src=10.1.2.3/8,tp_dst=80", "tcp,nw_src=10.0.0.0/8,tp_dst=80"},
      // Whitespace and empty items are ignored.
      {" tcp , tp_dst = 80 ", "tcp,tp_dst=80"},
      {"tcp,,tp_dst=80,", "tcp,tp_dst=80"},
      {"\ttcp,\ntp_src=1", "tcp,tp_src=1"},
      // Explicit wildcards.
      {"tcp,tp_dst=*", "tcp"},
      {"ip,nw_src=*,nw_dst=1.2.3.4", "ip,nw_dst=1.2.3.4"},
      {"dl_vlan=*", ""},
      // L4 ports by every name, printed as OVS prints them.
      {"tcp,tcp_dst=0x50", "tcp,tp_dst=80"},
      {"udp,udp_src=5/0xff", "udp,tp_src=0x5/0xff"},
      {"udp,tp_src=0x1234/0xff00", "udp,tp_src=0x1200/0xff00"},
      {"sctp,sctp_dst=9899", "sctp,tp_dst=9899"},
      {"tcp6,tp_src=1,tp_dst=2", "tcp6,tp_src=1,tp_dst=2"},
      {"tcp,tp_dst=80/0xffff", "tcp,tp_dst=80"},
      {"tcp,tp_dst=80/0", "tcp"},
      {"tcp,tp_dst=80,tcp_dst=80", "tcp,tp_dst=80"},
      {"tcp,tp_dst=0x50/0xf0,tp_dst=0x5f/0xf0", "tcp,tp_dst=0x50/0xf0"},
      // IPv4 masks: CIDR as /N, others dotted; host bits cleared.
      {"ip,nw_src=10.0.0.0/255.0.0.0", "ip,nw_src=10.0.0.0/8"},
      {"ip,nw_src=10.1.2.3/255.0.255.0", "ip,nw_src=10.0.2.0/255.0.255.0"},
      {"ip,nw_dst=1.2.3.4/32", "ip,nw_dst=1.2.3.4"},
      {"ip,nw_dst=1.2.3.4/0", "ip"},
      {"ip,ip_src=192.168.0.1/0.0.0.255", "ip,nw_src=0.0.0.1/0.0.0.255"},
      {"tun_dst=1.2.3.4/16", "tun_dst=1.2.0.0/16"},
      // IPv6: RFC 5952, CIDR as /N, others as addresses.
      {"ipv6,ipv6_src=2001:DB8:0:0::1", "ipv6,ipv6_src=2001:db8::1"},
      {"ipv6,ipv6_src=2001:db8::/32", "ipv6,ipv6_src=2001:db8::/32"},
      {"ipv6,ipv6_src=2001:db8::1/ffff:ffff::", "ipv6,ipv6_src=2001:db8::/32"},
      {"ipv6,ipv6_dst=2001:db8::1/ffff::ff", "ipv6,ipv6_dst=2001::1/ffff::ff"},
      {"ipv6,ipv6_dst=::1/128", "ipv6,ipv6_dst=::1"},
      {"ipv6,ipv6_label=5", "ipv6,ipv6_label=0x5"},
      {"ipv6,ipv6_flabel=0x12345/0xf0000", "ipv6,ipv6_label=0x10000/0xf0000"},
      // Ethernet.
      {"dl_src=FA:16:3E:00:00:01", "dl_src=fa:16:3e:00:00:01"},
      {"eth_dst=01:00:00:00:00:00/01:00:00:00:00:00", "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00"},
      {"dl_src=aa:bb:cc:dd:ee:ff/ff:ff:ff:00:00:00", "dl_src=aa:bb:cc:00:00:00/ff:ff:ff:00:00:00"},
      {"dl_src=aa:bb:cc:dd:ee:ff/ff:ff:ff:ff:ff:ff", "dl_src=aa:bb:cc:dd:ee:ff"},
      // VLAN.
      {"dl_vlan=5", "dl_vlan=5"},
      {"dl_vlan=0", "dl_vlan=0"},
      {"dl_vlan=4095", "dl_vlan=4095"},
      {"vlan_vid=0x1005", "dl_vlan=5"},
      {"vlan_vid=0x1005/0x1fff", "dl_vlan=5"},
      {"vlan_vid=4101", "dl_vlan=5"},
      {"vlan_vid=0x1000/0x1000", "vlan_vid=0x1000/0x1000"},
      {"vlan_vid=0", "vlan_vid=0x0000"},
      {"vlan_vid=0x1005/0x0fff", "vlan_vid=0x0005/0x0fff"},
      {"dl_vlan=5,vlan_vid=0x1005", "dl_vlan=5"},
      {"dl_vlan=5,vlan_pcp=3", "dl_vlan=5,dl_vlan_pcp=3"},
      {"vlan_vid=0x1000/0x1000,dl_vlan_pcp=7", "vlan_vid=0x1000/0x1000,dl_vlan_pcp=7"},
      // Ports and numbers.
      {"in_port=LOCAL", "in_port=4294967294"},
      {"in_port=local", "in_port=4294967294"},
      {"in_port=0x10", "in_port=16"},
      {"in_port=4294967295", "in_port=4294967295"},
      {"tun_id=5", "tun_id=0x5"},
      {"tunnel_id=0x5/0xff", "tun_id=0x5/0xff"},
      {"metadata=18446744073709551615", "metadata=0xffffffffffffffff"},
      {"metadata=0xF0/0xF0", "metadata=0xf0/0xf0"},
      // Everything else.
      {"mpls,mpls_label=16,mpls_tc=3,mpls_bos=1", "mpls,mpls_label=16,mpls_tc=3,mpls_bos=1"},
      {"mplsm,mpls_label=0xfffff", "mplsm,mpls_label=1048575"},
      {"ip,ip_dscp=46,ip_ecn=3", "ip,ip_dscp=46,nw_ecn=3"},
      {"ipv6,nw_ecn=1", "ipv6,nw_ecn=1"},
      {"arp,arp_op=1,arp_spa=10.0.0.0/24,arp_tpa=10.0.0.1,arp_sha=00:11:22:33:44:55,"
       "arp_tha=00:00:00:00:00:00/ff:00:00:00:00:00",
       "arp,arp_op=1,arp_spa=10.0.0.0/24,arp_tpa=10.0.0.1,arp_sha=00:11:22:33:44:55,"
       "arp_tha=00:00:00:00:00:00/ff:00:00:00:00:00"},
      {"icmp,icmp_type=3,icmp_code=1", "icmp,icmp_type=3,icmp_code=1"},
      {"icmp,icmpv4_type=8", "icmp,icmp_type=8"},
      {"icmp6,icmpv6_type=128,icmpv6_code=0", "icmp6,icmpv6_type=128,icmpv6_code=0"},
      // Like OVS, icmp_type means ICMPv6 type in an ICMPv6 match (that is how OVS prints it).
      {"icmp6,icmp_type=135,nd_target=fe80::1", "icmp6,icmpv6_type=135,nd_target=fe80::1"},
      {"icmp6,icmp_type=136,icmp_code=0,nd_target=fe80::/64,nd_tll=00:00:00:00:00:01",
       "icmp6,icmpv6_type=136,icmpv6_code=0,nd_target=fe80::/64,nd_tll=00:00:00:00:00:01"},
      {"icmp6,icmpv6_type=135,nd_sll=00:00:00:00:00:01/ff:ff:ff:ff:ff:00",
       "icmp6,icmpv6_type=135,nd_sll=00:00:00:00:00:00/ff:ff:ff:ff:ff:00"},
      // TCP flags: numbers, +flag-flag and flag|flag forms.
      {"tcp,tcp_flags=0x2/0x12", "tcp,tcp_flags=0x2/0x12"},
      {"tcp,tcp_flags=+syn-ack", "tcp,tcp_flags=0x2/0x12"},
      {"tcp,tcp_flags=-rst", "tcp,tcp_flags=0x0/0x4"},
      {"tcp,tcp_flags=+[800]", "tcp,tcp_flags=0x800/0x800"},
      {"tcp,tcp_flags=syn|ack", "tcp,tcp_flags=0x12"},
      {"tcp,tcp_flags=syn", "tcp,tcp_flags=0x2"},
      {"tcp,tcp_flags=0", "tcp,tcp_flags=0x0"},
      {"tcp,tcp_flags=0x2/0xfff", "tcp,tcp_flags=0x2"},
  };
  for (const auto& [in, out] : cases) {
    SCOPED_TRACE("input: " + in);
    Match m;
    ASSERT_NO_THROW(m = Match::parse(in));
    EXPECT_EQ(m.to_string(), out);
    EXPECT_EQ(Match::parse(m.to_string()), m);
    EXPECT_EQ(canonical(out), out);  // canonical text is a fixed point
  }
}

// ---------------------------------------------------------------------------------------
// Random valid matches: the text round trip holds for every one.

TEST(MatchText, RandomValidMatchesRoundTrip) {
  ValidMatchGenerator gen(7);
  for (int i = 0; i < 20000; ++i) {
    const Match m = gen.next();
    ASSERT_NO_THROW(m.check_prerequisites()) << m.to_string();
    const std::string text = m.to_string();
    Match back;
    ASSERT_NO_THROW(back = Match::parse(text)) << text;
    ASSERT_EQ(back, m) << text << " reparsed as " << back.to_string();
    ASSERT_EQ(back.to_string(), text);
  }
}

}  // namespace
}  // namespace vtap
