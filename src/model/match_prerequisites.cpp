// Match prerequisites, as ovs-fields(7) states them: `tp_dst` needs `nw_proto` needs
// `dl_type`. A match is checked, never completed: a missing prerequisite is an error that
// names the field, what it needs and an example that has it.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "libvtap/model/error.hpp"
#include "libvtap/model/match.hpp"
#include "match_internal.hpp"

namespace vtap {

using namespace match_internal;

namespace {

// What a field needs from the rest of its match: the error's words for it, an example
// match that has it, and the test.
struct Prerequisite {
  std::string_view what;
  std::string_view example;
  bool (*holds)(const Match&) noexcept;
};

bool eth_type_is(const Match& m, std::uint64_t eth_type) noexcept { return m.exact_uint(Field::eth_type) == eth_type; }
bool ip_proto_is(const Match& m, std::uint64_t ip_proto) noexcept { return m.exact_uint(Field::ip_proto) == ip_proto; }
bool icmpv6_type_is(const Match& m, std::uint64_t type) noexcept { return m.exact_uint(Field::icmpv6_type) == type; }

// A VLAN tag is there when vlan_vid asks for the 0x1000 (OFPVID_PRESENT) bit.
bool has_vlan_tag(const Match& m) noexcept {
  const auto vid = m.find(Field::vlan_vid);
  return vid && (to_uint(vid->value, 2) & 0x1000) != 0;
}
bool is_mpls(const Match& m) noexcept { return eth_type_is(m, 0x8847) || eth_type_is(m, 0x8848); }
bool is_ipv4(const Match& m) noexcept { return eth_type_is(m, 0x0800); }
bool is_ipv6(const Match& m) noexcept { return eth_type_is(m, 0x86dd); }
bool is_ip(const Match& m) noexcept { return is_ipv4(m) || is_ipv6(m); }
bool is_arp(const Match& m) noexcept { return eth_type_is(m, 0x0806); }
bool is_tcp(const Match& m) noexcept { return ip_proto_is(m, 6); }
bool is_udp(const Match& m) noexcept { return ip_proto_is(m, 17); }
bool is_sctp(const Match& m) noexcept { return ip_proto_is(m, 132); }
bool is_icmpv4(const Match& m) noexcept { return is_ipv4(m) && ip_proto_is(m, 1); }
bool is_icmpv6(const Match& m) noexcept { return is_ipv6(m) && ip_proto_is(m, 58); }
bool is_neighbor_solicitation(const Match& m) noexcept { return icmpv6_type_is(m, 135); }
bool is_neighbor_advertisement(const Match& m) noexcept { return icmpv6_type_is(m, 136); }
bool is_neighbor_discovery(const Match& m) noexcept {
  return is_neighbor_solicitation(m) || is_neighbor_advertisement(m);
}

constexpr Prerequisite kVlanTag{"a VLAN tag: vlan_vid with the 0x1000 present bit", "dl_vlan=10,dl_vlan_pcp=3",
                                has_vlan_tag};
constexpr Prerequisite kMpls{"dl_type=0x8847 or 0x8848", "mpls,mpls_label=16", is_mpls};
constexpr Prerequisite kIpv4{"dl_type=0x0800", "ip,nw_src=10.0.0.1", is_ipv4};
constexpr Prerequisite kIpv6{"dl_type=0x86dd", "ipv6,ipv6_src=2001:db8::1", is_ipv6};
constexpr Prerequisite kIp{"dl_type=0x0800 or 0x86dd", "ip,nw_proto=6", is_ip};
constexpr Prerequisite kArp{"dl_type=0x0806", "arp,arp_op=1", is_arp};
constexpr Prerequisite kTcpPort{"nw_proto=6", "tcp,tp_dst=80", is_tcp};
constexpr Prerequisite kTcpFlags{"nw_proto=6", "tcp,tcp_flags=+syn", is_tcp};
constexpr Prerequisite kUdpPort{"nw_proto=17", "udp,tp_dst=53", is_udp};
constexpr Prerequisite kSctpPort{"nw_proto=132", "sctp,tp_dst=9899", is_sctp};
constexpr Prerequisite kIcmpv4{"dl_type=0x0800 and nw_proto=1", "icmp,icmp_type=8", is_icmpv4};
constexpr Prerequisite kIcmpv6{"dl_type=0x86dd and nw_proto=58", "icmp6,icmpv6_type=135", is_icmpv6};
constexpr Prerequisite kNeighborDiscovery{"icmpv6_type=135 or 136", "icmp6,icmpv6_type=135,nd_target=fe80::1",
                                          is_neighbor_discovery};
constexpr Prerequisite kNeighborSolicitation{"icmpv6_type=135", "icmp6,icmpv6_type=135,nd_sll=fa:16:3e:00:00:01",
                                             is_neighbor_solicitation};
constexpr Prerequisite kNeighborAdvertisement{"icmpv6_type=136", "icmp6,icmpv6_type=136,nd_tll=fa:16:3e:00:00:01",
                                              is_neighbor_advertisement};

// The prerequisite of `f`; nullptr for the fields that need nothing.
const Prerequisite* prerequisite_of(Field f) noexcept {
  switch (f) {
    case Field::vlan_pcp: return &kVlanTag;
    case Field::mpls_label:
    case Field::mpls_tc:
    case Field::mpls_bos: return &kMpls;
    case Field::ipv4_src:
    case Field::ipv4_dst: return &kIpv4;
    case Field::ipv6_src:
    case Field::ipv6_dst:
    case Field::ipv6_label: return &kIpv6;
    case Field::ip_proto:
    case Field::ip_dscp:
    case Field::ip_ecn: return &kIp;
    case Field::arp_op:
    case Field::arp_spa:
    case Field::arp_tpa:
    case Field::arp_sha:
    case Field::arp_tha: return &kArp;
    case Field::tcp_src:
    case Field::tcp_dst: return &kTcpPort;
    case Field::tcp_flags: return &kTcpFlags;
    case Field::udp_src:
    case Field::udp_dst: return &kUdpPort;
    case Field::sctp_src:
    case Field::sctp_dst: return &kSctpPort;
    case Field::icmpv4_type:
    case Field::icmpv4_code: return &kIcmpv4;
    case Field::icmpv6_type:
    case Field::icmpv6_code: return &kIcmpv6;
    case Field::nd_target: return &kNeighborDiscovery;
    case Field::nd_sll: return &kNeighborSolicitation;
    case Field::nd_tll: return &kNeighborAdvertisement;
    default: return nullptr;
  }
}

// "tp_dst requires nw_proto=6 (e.g. tcp,tp_dst=80)". Where a dl_type is needed and the
// match has another, the error says that no single match can hold both.
std::string missing_prerequisite_error(const Match& m, Field f, const Prerequisite& p) {
  std::string msg(unique_name(f));
  msg += " requires ";
  msg += p.what;
  msg += " (e.g. ";
  msg += p.example;
  msg += ')';
  const auto eth_type = m.exact_uint(Field::eth_type);
  if (p.what.starts_with("dl_type") && eth_type) {
    char have[64];
    std::snprintf(have, sizeof have, ", but this match has dl_type=0x%04llx", static_cast<unsigned long long>(*eth_type));
    msg += have;
    msg += ": one OpenFlow match cannot hold both";
  }
  return msg;
}

}  // namespace

void Match::check_prerequisites() const {
  for (const Entry& e : entries()) {
    const Prerequisite* p = prerequisite_of(e.field);
    if (p != nullptr && !p->holds(*this)) throw ParseError(missing_prerequisite_error(*this, e.field, *p));
  }
}

}  // namespace vtap
