// Tests for Match as a set of packets: the set() contract, the intersection/subset/overlap
// algebra (truth tables and a packet-level oracle), reversed() and hashing.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "libvtap/model/error.hpp"
#include "libvtap/model/match.hpp"

namespace vtap {
namespace {

// Asserts that `fn` throws vtap::Error but not its ParseError subclass (API misuse).
template <typename Fn>
void expect_misuse(Fn&& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected vtap::Error containing: " << needle;
  } catch (const ParseError& e) {
    ADD_FAILURE() << "expected a plain vtap::Error, got ParseError: " << e.what();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message: " << e.what() << "\nexpected to contain: " << needle;
  }
}

// ---------------------------------------------------------------------------------------
// set() and accessors

TEST(MatchSet, CanonicalisesSortsAndRemoves) {
  Match m;
  m.set(Field::tcp_dst, 80).set(Field::ip_proto, 6).set(Field::eth_type, 0x0800);
  const std::vector<Match::Entry> entries(m.entries().begin(), m.entries().end());
  ASSERT_EQ(m.entries().size(), 3U);
  ASSERT_EQ(entries.size(), 3U);
  EXPECT_EQ(entries[0].field, Field::eth_type);
  EXPECT_EQ(entries[1].field, Field::ip_proto);
  EXPECT_EQ(entries[2].field, Field::tcp_dst);
  EXPECT_EQ(m.to_string(), "tcp,tp_dst=80");
  EXPECT_EQ(m, Match::parse("tcp,tp_dst=80"));

  m.set(Field::tcp_dst, 0x1234, 0xff00);  // replaces, and clears bits outside the mask
  EXPECT_EQ(m.find(Field::tcp_dst)->value, (FieldBytes{0x12, 0x00}));
  EXPECT_EQ(m.to_string(), "tcp,tp_dst=0x1200/0xff00");
  EXPECT_FALSE(m.is_exact(Field::tcp_dst));
  EXPECT_FALSE(m.exact_uint(Field::tcp_dst).has_value());

  m.set(Field::tcp_dst, 80, 0);  // an all-zero mask makes the field a wildcard
  EXPECT_FALSE(m.has(Field::tcp_dst));
  EXPECT_EQ(m.to_string(), "tcp");

  m.erase(Field::ip_proto).erase(Field::ip_proto);
  EXPECT_EQ(m.to_string(), "ip");
  m.erase(Field::eth_type);
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m, Match());
  EXPECT_EQ(m.to_string(), "");
}

// Match packs its fields' bytes inline up to a bound and beyond it elsewhere: a match that
// outgrew the bound and shrank back, built in any order, equals, orders and hashes as one
// built directly.
TEST(MatchSet, HistoryDoesNotShowInEqualityOrderOrHash) {
  const Match direct = Match::parse("tcp6,ipv6_src=2001:db8::/32,ipv6_dst=2001:db8:1::1,tp_dst=443");
  Match grown;
  grown.set(Field::tcp_dst, 443)
      .set(Field::ipv6_dst, Ipv6Address::parse("2001:db8:1::1"))
      .set(Field::nd_target, Ipv6Address::parse("fe80::1"))        // 16 more bytes: past the inline bound
      .set(Field::ipv6_label, 0x12345, 0xfffff)                       // masked: value and mask bytes
      .set(Field::ipv6_src, Ipv6Prefix::parse("2001:db8::/32"))      // masked IPv6: 32 bytes
      .set(Field::ip_proto, 6)
      .set(Field::eth_type, 0x86dd);
  EXPECT_NE(grown, direct);
  grown.erase(Field::nd_target).erase(Field::ipv6_label);  // back under the bound
  EXPECT_EQ(grown, direct);
  EXPECT_EQ(grown <=> direct, std::strong_ordering::equal);
  EXPECT_EQ(std::hash<Match>{}(grown), std::hash<Match>{}(direct));
  EXPECT_EQ(grown.to_string(), direct.to_string());
  const std::vector<Match::Entry> a(grown.entries().begin(), grown.entries().end());
  const std::vector<Match::Entry> b(direct.entries().begin(), direct.entries().end());
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 5U);
  EXPECT_EQ(a[1].field, Field::ipv6_src);
  EXPECT_EQ(a[1].mask, (FieldBytes{0xff, 0xff, 0xff, 0xff}));

  // Every field at once (far past the bound), then all of them removed again.
  Match all;
  for (std::size_t f = 0; f < field_count; ++f) {
    const std::size_t n = field_bytes(static_cast<Field>(f));
    FieldBytes full{};
    for (std::size_t i = 0; i < n; ++i) full[i] = 0xff;
    full[0] = static_cast<std::uint8_t>(0xff >> (8 * n - field_info(static_cast<Field>(f)).bits));
    all.set(static_cast<Field>(f), full, full);
  }
  EXPECT_EQ(all.entries().size(), field_count);
  EXPECT_FALSE(all.is_subset_of(direct));  // dl_type=0xffff
  EXPECT_FALSE(direct.overlaps(all));
  for (std::size_t f = 0; f < field_count; ++f) all.erase(static_cast<Field>(f));
  EXPECT_EQ(all, Match());
  EXPECT_EQ(std::hash<Match>{}(all), std::hash<Match>{}(Match()));
}

TEST(MatchSet, TypedSetters) {
  Match m;
  m.set(Field::eth_type, 0x0800);
  m.set(Field::ipv4_src, Ipv4Prefix::parse("10.1.2.3/8"));
  m.set(Field::ipv4_dst, Ipv4Address::parse("192.168.1.1"));
  m.set(Field::eth_src, MacAddress::parse("fa:16:3e:00:00:01"));
  EXPECT_EQ(m.to_string(), "ip,dl_src=fa:16:3e:00:00:01,nw_src=10.0.0.0/8,nw_dst=192.168.1.1");
  EXPECT_EQ(m.exact_mac(Field::eth_src), MacAddress::parse("fa:16:3e:00:00:01"));
  EXPECT_FALSE(m.exact_mac(Field::eth_dst).has_value());
  EXPECT_FALSE(m.exact_mac(Field::eth_type).has_value());
  EXPECT_EQ(m.exact_uint(Field::ipv4_dst), 0xc0a80101U);
  EXPECT_TRUE(m.is_exact(Field::ipv4_dst));
  EXPECT_FALSE(m.is_exact(Field::ipv4_src));
  m.set(Field::ipv4_src, Ipv4Prefix::parse("0.0.0.0/0"));
  EXPECT_FALSE(m.has(Field::ipv4_src));

  Match v6;
  v6.set(Field::eth_type, 0x86dd);
  v6.set(Field::ipv6_src, Ipv6Prefix::parse("2001:db8:1::5/48"));
  v6.set(Field::ipv6_dst, Ipv6Address::parse("fe80::1"));
  EXPECT_EQ(v6.to_string(), "ipv6,ipv6_src=2001:db8:1::/48,ipv6_dst=fe80::1");
  EXPECT_FALSE(v6.exact_uint(Field::ipv6_dst).has_value());  // wider than 64 bits

  Match vlan;
  vlan.set(Field::vlan_vid, 0x1000 | 42);
  EXPECT_EQ(vlan.to_string(), "dl_vlan=42");
  vlan.set(Field::vlan_vid, 0x1000, 0x1000);
  EXPECT_EQ(vlan.to_string(), "vlan_vid=0x1000/0x1000");
}

TEST(MatchSet, MisuseThrowsError) {
  Match m;
  expect_misuse([&] { m.set(Field::mpls_label, std::uint64_t{1} << 20); }, "does not fit in 20 bits");
  expect_misuse([&] { m.set(Field::vlan_vid, 0x2000); }, "does not fit in 13 bits");
  expect_misuse([&] { m.set(Field::tcp_dst, 1, 0x10000); }, "mask 0x10000 does not fit in 16 bits");
  expect_misuse([&] { m.set(Field::ip_proto, 6, 0xf0); }, "exact-only");
  expect_misuse([&] { m.set(Field::eth_type, 0x0800, 0xff00); }, "exact-only");
  expect_misuse([&] { m.set(Field::in_port, 1, 1); }, "exact-only");
  expect_misuse([&] { m.set(Field::ipv4_src, MacAddress()); }, "does not take a MAC address");
  expect_misuse([&] { m.set(Field::eth_src, Ipv4Address()); }, "does not take an IPv4 address");
  expect_misuse([&] { m.set(Field::ipv4_src, Ipv6Address()); }, "does not take an IPv6 address");
  expect_misuse([&] { m.set(Field::ipv6_src, 5); }, "not a number");
  FieldBytes wide{};
  wide[6] = 1;  // beyond the 6 bytes of an Ethernet address
  FieldBytes full{};
  for (auto& b : full) b = 0xff;
  expect_misuse([&] { m.set(Field::eth_src, wide, full); }, "bits outside the field's 48 bits");
  FieldBytes label{};
  label[0] = 0x10;  // bit 20 of a 20-bit field stored in 3 bytes
  FieldBytes label_mask{0x0f, 0xff, 0xff};
  expect_misuse([&] { m.set(Field::mpls_label, label, label_mask); }, "value has bits outside");
  expect_misuse([&] { m.set(Field::mpls_label, FieldBytes{}, full); }, "mask has bits outside");
  EXPECT_TRUE(m.empty());  // failed calls leave the match unchanged
  // The largest values that do fit are accepted.
  m.set(Field::mpls_label, label_mask, label_mask);
  EXPECT_EQ(m.exact_uint(Field::mpls_label), 0xfffffU);
  m.set(Field::metadata, ~std::uint64_t{0});
  EXPECT_EQ(m.exact_uint(Field::metadata), ~std::uint64_t{0});
}

// ---------------------------------------------------------------------------------------
// Algebra: truth tables

struct AlgebraCase {
  std::string a;
  std::string b;
  std::optional<std::string> intersection;  // nullopt: disjoint
  bool a_in_b;
  bool b_in_a;
};

TEST(MatchAlgebra, TruthTable) {
  const std::vector<AlgebraCase> cases = {
      {"", "", "", true, true},
      {"", "tcp", "tcp", false, true},
      {"tcp", "tcp", "tcp", true, true},
      {"ip", "tcp", "tcp", false, true},
      {"ip", "ipv6", std::nullopt, false, false},
      {"tcp", "udp", std::nullopt, false, false},
      {"tcp", "tcp,tp_dst=80", "tcp,tp_dst=80", false, true},
      {"tcp,tp_dst=80", "tcp,tp_dst=443", std::nullopt, false, false},
      {"tcp,tp_dst=80", "udp,tp_dst=80", std::nullopt, false, false},
      {"tcp,tp_dst=80", "tcp,tp_src=80", "tcp,tp_src=80,tp_dst=80", false, false},
      {"in_port=1", "tcp", "tcp,in_port=1", false, false},
      // Prefixes.
      {"ip,nw_src=10.0.0.0/8", "ip,nw_src=10.1.0.0/16", "ip,nw_src=10.1.0.0/16", false, true},
      {"ip,nw_src=10.0.0.0/8", "ip,nw_src=11.0.0.0/8", std::nullopt, false, false},
      {"ip,nw_src=10.0.0.0/8", "ip,nw_src=10.0.0.7", "ip,nw_src=10.0.0.7", false, true},
      {"ip,nw_src=10.0.0.0/8", "ip,nw_dst=10.0.0.0/8", "ip,nw_src=10.0.0.0/8,nw_dst=10.0.0.0/8", false, false},
      {"ip,nw_src=0.0.0.0/1", "ip,nw_src=128.0.0.0/1", std::nullopt, false, false},
      {"ipv6,ipv6_src=2001:db8::/32", "ipv6,ipv6_src=2001:db8:1::/48", "ipv6,ipv6_src=2001:db8:1::/48", false, true},
      {"ipv6,ipv6_src=2001:db8::/32", "ipv6,ipv6_src=2001:db9::/32", std::nullopt, false, false},
      {"ipv6,ipv6_src=2001:db8::/127", "ipv6,ipv6_src=2001:db8::1", "ipv6,ipv6_src=2001:db8::1", false, true},
      // Arbitrary bitwise masks.
      {"ip,nw_src=10.0.0.0/255.0.255.0", "ip,nw_src=10.1.0.0/16", "ip,nw_src=10.1.0.0/24", false, false},
      {"ip,nw_src=10.0.0.0/255.0.255.0", "ip,nw_src=10.1.0.0/255.255.255.0", "ip,nw_src=10.1.0.0/24", false, true},
      {"ip,nw_src=10.0.1.0/255.0.255.0", "ip,nw_src=10.1.0.0/255.255.255.0", std::nullopt, false, false},
      {"tcp,tp_dst=0x10/0xf0", "tcp,tp_dst=0x1f", "tcp,tp_dst=31", false, true},
      {"tcp,tp_dst=0x10/0xf0", "tcp,tp_dst=0x2f", std::nullopt, false, false},
      {"tcp,tp_dst=0x10/0x10", "tcp,tp_dst=0x1/0x1", "tcp,tp_dst=0x11/0x11", false, false},
      {"tcp,tp_dst=0x10/0x10", "tcp,tp_dst=0x10/0x30", "tcp,tp_dst=0x10/0x30", false, true},
      {"tcp,tcp_flags=+syn", "tcp,tcp_flags=-ack", "tcp,tcp_flags=0x2/0x12", false, false},
      {"tcp,tcp_flags=+syn", "tcp,tcp_flags=-syn", std::nullopt, false, false},
      {"metadata=0x1/0x1", "metadata=0x3/0x3", "metadata=0x3/0x3", false, true},
      // Ethernet group bit.
      {"dl_dst=01:00:00:00:00:00/01:00:00:00:00:00", "dl_dst=fa:16:3e:00:00:01", std::nullopt, false, false},
      {"dl_dst=01:00:00:00:00:00/01:00:00:00:00:00", "dl_dst=ff:ff:ff:ff:ff:ff", "dl_dst=ff:ff:ff:ff:ff:ff", false,
       true},
      // VLAN presence.
      {"dl_vlan=5", "vlan_vid=0x1000/0x1000", "dl_vlan=5", true, false},
      {"vlan_vid=0x0000", "vlan_vid=0x1000/0x1000", std::nullopt, false, false},
      {"dl_vlan=5", "dl_vlan=6", std::nullopt, false, false},
      // Several fields at once.
      {"tcp,nw_src=10.0.0.0/8,tp_dst=80", "ip,nw_dst=10.0.0.1", "tcp,nw_src=10.0.0.0/8,nw_dst=10.0.0.1,tp_dst=80",
       false, false},
      {"tcp,nw_src=10.1.0.0/16,tp_dst=80", "tcp,nw_src=10.0.0.0/8", "tcp,nw_src=10.1.0.0/16,tp_dst=80", true,
       false},
      {"tcp,nw_src=10.1.0.0/16,tp_dst=80", "tcp,nw_src=10.0.0.0/8,tp_dst=443", std::nullopt, false, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE("a = " + c.a + "   b = " + c.b);
    const Match a = Match::parse(c.a);
    const Match b = Match::parse(c.b);
    const auto ab = a.intersect(b);
    const auto ba = b.intersect(a);
    ASSERT_EQ(ab.has_value(), c.intersection.has_value());
    ASSERT_EQ(ba.has_value(), c.intersection.has_value());
    if (c.intersection) {
      EXPECT_EQ(ab->to_string(), *c.intersection);
      EXPECT_EQ(*ab, *ba);
      EXPECT_EQ(*ab, Match::parse(*c.intersection));
      EXPECT_TRUE(ab->is_subset_of(a));
      EXPECT_TRUE(ab->is_subset_of(b));
    }
    EXPECT_EQ(a.overlaps(b), c.intersection.has_value());
    EXPECT_EQ(b.overlaps(a), c.intersection.has_value());
    EXPECT_EQ(a.is_subset_of(b), c.a_in_b);
    EXPECT_EQ(b.is_subset_of(a), c.b_in_a);
    EXPECT_TRUE(a.is_subset_of(a));
    EXPECT_TRUE(a.is_subset_of(Match()));
  }
}

// ---------------------------------------------------------------------------------------
// Algebra against a packet-level oracle: a packet assigns every field a value, and a match
// holds it when every entry's masked bits agree. The witnesses below are derived from that
// definition alone, not from the library's formulas.

using Packet = std::array<FieldBytes, field_count>;

bool holds(const Match& m, const Packet& p) {
  for (const auto& e : m.entries()) {
    for (std::size_t i = 0; i < sizeof(FieldBytes); ++i) {
      if ((p[static_cast<std::size_t>(e.field)][i] & e.mask[i]) != e.value[i]) return false;
    }
  }
  return true;
}

// The packet in `a` that is "most unlike" `b`: every bit `a` leaves free is the opposite of
// what `b` wants. `a` is a subset of `b` exactly when even this packet is in `b`.
Packet subset_witness(const Match& a, const Match& b) {
  Packet p{};
  for (std::size_t f = 0; f < field_count; ++f) {
    const auto ea = a.find(static_cast<Field>(f));
    const auto eb = b.find(static_cast<Field>(f));
    const std::size_t n = field_bytes(static_cast<Field>(f));
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t want_b = eb ? eb->value[i] : 0;
      const std::uint8_t a_mask = ea ? ea->mask[i] : 0;
      const std::uint8_t a_value = ea ? ea->value[i] : 0;
      p[f][i] = static_cast<std::uint8_t>(a_value | (~a_mask & ~want_b));
    }
  }
  return p;
}

// A packet in `a` that takes every bit `a` leaves free from `b`: it is in `b` exactly
// when some packet is in both.
Packet overlap_witness(const Match& a, const Match& b) {
  Packet p{};
  for (std::size_t f = 0; f < field_count; ++f) {
    const auto ea = a.find(static_cast<Field>(f));
    const auto eb = b.find(static_cast<Field>(f));
    for (std::size_t i = 0; i < sizeof(FieldBytes); ++i) {
      const std::uint8_t a_mask = ea ? ea->mask[i] : 0;
      p[f][i] = static_cast<std::uint8_t>((ea ? ea->value[i] : 0) | (~a_mask & (eb ? eb->value[i] : 0)));
    }
  }
  return p;
}

// Random matches over a few fields with small value spaces, so that overlaps, containment
// and disjointness all occur often.
class AlgebraGenerator {
 public:
  explicit AlgebraGenerator(std::uint64_t seed) : rng_(seed) {}

  Match next() {
    Match m;
    static constexpr std::array<Field, 7> fields = {Field::eth_src, Field::vlan_vid, Field::ipv4_src,
                                                    Field::ipv6_dst, Field::ip_proto, Field::tcp_dst,
                                                    Field::metadata};
    for (Field f : fields) {
      if (rng_() % 2 == 0) continue;
      const std::size_t n = field_bytes(f);
      FieldBytes value{};
      FieldBytes mask{};
      // Only the first and last byte vary, over 2 bits each.
      value[0] = static_cast<std::uint8_t>(rng_() % 4);
      value[n - 1] = static_cast<std::uint8_t>(value[n - 1] | (rng_() % 4));
      const unsigned kind = field_info(f).maskable ? static_cast<unsigned>(rng_() % 4) : 0;
      for (std::size_t i = 0; i < n; ++i) {
        switch (kind) {
          case 0: mask[i] = 0xff; break;                                              // exact
          case 1: mask[i] = i == 0 ? 0x03 : 0x00; break;                              // prefix-like
          case 2: mask[i] = i == n - 1 ? static_cast<std::uint8_t>(rng_() % 4) : 0xff; break;
          default: mask[i] = static_cast<std::uint8_t>(rng_() % 4); break;           // sparse
        }
      }
      if (f == Field::vlan_vid) mask[0] &= 0x1f;
      m.set(f, value, mask);
    }
    return m;
  }

 private:
  std::mt19937_64 rng_;
};

TEST(MatchAlgebra, AgreesWithPacketOracle) {
  AlgebraGenerator gen(20240601);
  int overlapping = 0;
  int subsets = 0;
  for (int round = 0; round < 20000; ++round) {
    const Match a = gen.next();
    const Match b = gen.next();
    const bool oracle_subset = holds(b, subset_witness(a, b));
    ASSERT_TRUE(holds(a, subset_witness(a, b)));
    const bool oracle_overlap = holds(b, overlap_witness(a, b));
    ASSERT_TRUE(holds(a, overlap_witness(a, b)));
    ASSERT_EQ(a.is_subset_of(b), oracle_subset) << a.to_string() << " vs " << b.to_string();
    ASSERT_EQ(a.overlaps(b), oracle_overlap) << a.to_string() << " vs " << b.to_string();
    // Matches order as their sequences of entries do (plans are sorted by it).
    const std::vector<Match::Entry> ea(a.entries().begin(), a.entries().end());
    const std::vector<Match::Entry> eb(b.entries().begin(), b.entries().end());
    ASSERT_EQ(a <=> b, std::lexicographical_compare_three_way(ea.begin(), ea.end(), eb.begin(), eb.end()))
        << a.to_string() << " vs " << b.to_string();
    ASSERT_EQ(a == b, ea == eb);
    const auto both = a.intersect(b);
    ASSERT_EQ(both.has_value(), oracle_overlap);
    if (both) {
      // The intersection holds exactly the packets both hold: probe with witnesses.
      for (const Packet& p : {overlap_witness(a, b), overlap_witness(b, a), subset_witness(a, b),
                              subset_witness(b, a), subset_witness(*both, a), subset_witness(*both, b)}) {
        ASSERT_EQ(holds(*both, p), holds(a, p) && holds(b, p)) << a.to_string() << " & " << b.to_string();
      }
      ASSERT_TRUE(holds(*both, overlap_witness(a, b)));
      ASSERT_TRUE(both->is_subset_of(a));
      ASSERT_TRUE(both->is_subset_of(b));
      ASSERT_EQ(a.is_subset_of(b), *both == a);
    }
    overlapping += oracle_overlap ? 1 : 0;
    subsets += oracle_subset ? 1 : 0;
  }
  // The generator must exercise both outcomes of each question.
  EXPECT_GT(overlapping, 2000);
  EXPECT_LT(overlapping, 18000);
  EXPECT_GT(subsets, 100);
}

// ---------------------------------------------------------------------------------------
// reversed() and hashing

TEST(MatchReversed, SwapsSourceAndDestination) {
  EXPECT_EQ(
      reversed(Match::parse("tcp,dl_src=00:00:00:00:00:01,nw_src=10.0.0.0/8,nw_dst=10.0.0.2,tp_src=1000,tp_dst=80"))
          .to_string(),
            "tcp,dl_dst=00:00:00:00:00:01,nw_src=10.0.0.2,nw_dst=10.0.0.0/8,tp_src=80,tp_dst=1000");
  EXPECT_EQ(reversed(Match::parse("udp6,ipv6_src=2001:db8::/32,tp_dst=53")).to_string(),
            "udp6,ipv6_dst=2001:db8::/32,tp_src=53");
  EXPECT_EQ(reversed(Match::parse("sctp,tp_src=5")).to_string(), "sctp,tp_dst=5");
  EXPECT_EQ(reversed(Match::parse("arp,arp_spa=10.0.0.1,arp_sha=00:00:00:00:00:01")).to_string(),
            "arp,arp_tpa=10.0.0.1,arp_tha=00:00:00:00:00:01");
  // Fields without a direction stay.
  EXPECT_EQ(reversed(Match::parse("in_port=3,dl_vlan=7,tun_id=0x5")).to_string(), "in_port=3,tun_id=0x5,dl_vlan=7");
  const Match m = Match::parse("tcp,dl_dst=fa:16:3e:00:00:02,nw_src=1.2.3.4,tp_src=0x100/0xff00");
  EXPECT_EQ(reversed(reversed(m)), m);
}

TEST(MatchHash, EqualMatchesHashEqual) {
  const std::hash<Match> h;
  EXPECT_EQ(h(Match::parse("tcp,tp_dst=80,nw_src=10.0.0.0/8")), h(Match::parse("nw_src=10.1.0.0/8,tp_dst=0x50,tcp")));
  EXPECT_EQ(h(Match()), h(Match::parse("*")));
  std::unordered_set<Match> set;
  for (unsigned port = 0; port < 500; ++port) {
    set.insert(Match::parse("tcp,tp_dst=" + std::to_string(port)));
    set.insert(Match::parse("udp,tp_dst=" + std::to_string(port)));
    set.insert(Match::parse("tcp,tp_dst=" + std::to_string(port)));
  }
  EXPECT_EQ(set.size(), 1000U);
  // Value and mask both count.
  EXPECT_NE(h(Match::parse("tcp,tp_dst=0x10/0xf0")), h(Match::parse("tcp,tp_dst=0x10/0xff")));
}

}  // namespace
}  // namespace vtap
