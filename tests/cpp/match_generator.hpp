#pragma once
// Shared test helper: random matches that keep every prerequisite, over every field, with
// full, prefix and arbitrary masks (what to_string must print and ovs-ofctl must read).

#include <array>
#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>

#include "libvtap/model/match.hpp"

namespace vtap {

class ValidMatchGenerator {
 public:
  explicit ValidMatchGenerator(std::uint64_t seed) : rng_(seed) {}

  Match next() {
    Match m;
    if (coin(20)) m.set(Field::in_port, coin(10) ? 0xfffffffeULL : rng_() % 0xff00);
    if (coin(15)) number(m, Field::tun_id);
    if (coin(15)) address(m, Field::tun_dst);
    if (coin(15)) number(m, Field::metadata);
    if (coin(25)) address(m, Field::eth_src);
    if (coin(25)) address(m, Field::eth_dst);
    if (coin(30)) vlan(m);

    static constexpr std::array<std::uint16_t, 7> eth_types = {0x0800, 0x0800, 0x86dd, 0x86dd, 0x0806, 0x8847, 0x88cc};
    if (coin(15)) return m;
    const std::uint16_t eth_type = eth_types[rng_() % eth_types.size()];
    m.set(Field::eth_type, eth_type == 0x8847 && coin(50) ? 0x8848 : eth_type);
    if (eth_type == 0x0806) {
      if (coin(50)) m.set(Field::arp_op, rng_() % 256);  // OVS keeps only 8 bits of arp_op
      for (Field f : {Field::arp_spa, Field::arp_tpa, Field::arp_sha, Field::arp_tha}) {
        if (coin(40)) address(m, f);
      }
    } else if (eth_type == 0x8847) {
      for (Field f : {Field::mpls_label, Field::mpls_tc, Field::mpls_bos}) {
        if (coin(50)) number(m, f);
      }
    } else if (eth_type == 0x0800 || eth_type == 0x86dd) {
      ip(m, eth_type == 0x86dd);
    }
    return m;
  }

 private:
  bool coin(unsigned percent) { return rng_() % 100 < percent; }

  void ip(Match& m, bool v6) {
    if (v6) {
      if (coin(40)) address(m, Field::ipv6_src);
      if (coin(40)) address(m, Field::ipv6_dst);
      if (coin(20)) number(m, Field::ipv6_label);
    } else {
      if (coin(40)) address(m, Field::ipv4_src);
      if (coin(40)) address(m, Field::ipv4_dst);
    }
    if (coin(15)) number(m, Field::ip_dscp);
    if (coin(15)) number(m, Field::ip_ecn);
    static constexpr std::array<std::uint8_t, 6> protos = {6, 17, 132, 1, 58, 47};
    if (coin(15)) return;
    const std::uint8_t proto = protos[rng_() % protos.size()];
    m.set(Field::ip_proto, proto);
    switch (proto) {
      case 6:
        if (coin(50)) number(m, Field::tcp_src);
        if (coin(50)) number(m, Field::tcp_dst);
        if (coin(30)) number(m, Field::tcp_flags);
        break;
      case 17:
        if (coin(50)) number(m, Field::udp_src);
        if (coin(50)) number(m, Field::udp_dst);
        break;
      case 132:
        if (coin(50)) number(m, Field::sctp_src);
        if (coin(50)) number(m, Field::sctp_dst);
        break;
      case 1:
        if (!v6) {
          if (coin(50)) number(m, Field::icmpv4_type);
          if (coin(50)) number(m, Field::icmpv4_code);
        }
        break;
      case 58:
        if (v6) {
          const bool nd = coin(50);
          const std::uint64_t type = nd ? 135 + rng_() % 2 : rng_() % 256;
          m.set(Field::icmpv6_type, type);
          if (coin(50)) number(m, Field::icmpv6_code);
          if (type == 135 || type == 136) {
            if (coin(60)) address(m, Field::nd_target);
            if (coin(60)) address(m, type == 135 ? Field::nd_sll : Field::nd_tll);
          }
        }
        break;
      default:
        break;
    }
  }

  void vlan(Match& m) {
    switch (rng_() % 4) {
      case 0: m.set(Field::vlan_vid, 0x1000 | (rng_() % 4096)); break;
      case 1: m.set(Field::vlan_vid, 0x1000, 0x1000); break;
      case 2: m.set(Field::vlan_vid, 0); break;
      default: m.set(Field::vlan_vid, rng_() & 0x1fff, rng_() & 0x1fff); break;
    }
    const auto vid = m.find(Field::vlan_vid);
    if (vid && (vid->value[0] & 0x10) != 0 && coin(50)) m.set(Field::vlan_pcp, rng_() % 8);
  }

  // A random value; for maskable fields a random full, prefix or arbitrary mask.
  std::pair<FieldBytes, FieldBytes> random_bits(Field f) {
    const FieldInfo& info = field_info(f);
    const std::size_t n = field_bytes(f);
    FieldBytes full{};
    for (std::size_t i = 0; i < n; ++i) full[i] = 0xff;
    if (info.bits % 8 != 0) full[0] = static_cast<std::uint8_t>(0xffU >> (8 - info.bits % 8));
    FieldBytes value{};
    FieldBytes mask = full;
    for (std::size_t i = 0; i < n; ++i) value[i] = static_cast<std::uint8_t>(rng_() & full[i]);
    if (info.maskable) {
      const unsigned kind = static_cast<unsigned>(rng_() % 3);
      if (kind == 1) {  // prefix
        const unsigned length = static_cast<unsigned>(rng_() % (info.bits + 1));
        const unsigned pad = static_cast<unsigned>(n * 8 - info.bits);
        for (std::size_t i = 0; i < n; ++i) {
          const unsigned start = static_cast<unsigned>(i * 8);
          const unsigned upto = length + pad;
          if (upto >= start + 8) {
            mask[i] = 0xff;
          } else {
            mask[i] = static_cast<std::uint8_t>(upto > start ? 0xffU << (8 - (upto - start)) : 0U);
          }
          mask[i] &= full[i];
        }
      } else if (kind == 2) {  // arbitrary
        for (std::size_t i = 0; i < n; ++i) mask[i] = static_cast<std::uint8_t>(rng_() & full[i]);
      }
    }
    return {value, mask};
  }

  void number(Match& m, Field f) {
    const auto [value, mask] = random_bits(f);
    m.set(f, value, mask);
  }
  void address(Match& m, Field f) { number(m, f); }

  std::mt19937_64 rng_;
};

}  // namespace vtap
