// Tests for the OpenFlow codec: its building blocks, matches (OXM), actions and
// instructions.
//
// Oracles that nobody here wrote:
// - tests/data/openflow/oxm_fields.txt: Open vSwitch's own ofp_match bytes for matches
//   covering every field, with and without masks, in OpenFlow 1.3 and 1.5;
// - the action bytes below: OVS's own encoding of the same action.
// Malformed input and complete FLOW_MODs are in openflow_codec_oracle_test.cpp.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "golden.hpp"
#include "libvtap/openflow/actions.hpp"
#include "libvtap/openflow/instructions.hpp"
#include "libvtap/openflow/oxm.hpp"
#include "openflow_codec_helpers.hpp"

namespace vtap::openflow {
namespace {

using namespace codec_test;
using golden::from_hex;
using golden::to_hex;

template <typename Fn>
void expect_error(Fn&& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected vtap::Error containing " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------------------------------
// Building blocks

TEST(OpenflowVersion, NamesAndWireValues) {
  EXPECT_EQ(to_string(Version::of13), "OpenFlow13");
  EXPECT_EQ(version_from_string("OpenFlow15"), Version::of15);
  EXPECT_EQ(version_from_string("OpenFlow10"), std::nullopt);
  EXPECT_EQ(version_from_wire(5), Version::of14);
  EXPECT_EQ(version_from_wire(1), std::nullopt);
  EXPECT_EQ(version_from_wire(7), std::nullopt);
}

TEST(OpenflowBuffer, ReaderIsBigEndianAndNeverReadsPastItsSpan) {
  const Bytes data = from_hex("0102030405060708090a0b0c0d0e0f1011");
  Reader r(data, errors::bac_bad_len);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.peek_u16(), 0x0203);
  EXPECT_EQ(r.u16(), 0x0203);
  EXPECT_EQ(r.u32(), 0x04050607U);
  EXPECT_EQ(r.u64(), 0x08090a0b0c0d0e0fULL);
  Reader sub = r.sub(1, errors::bmc_bad_len);
  EXPECT_EQ(r.remaining(), 1U);
  EXPECT_EQ(sub.u8(), 0x10);
  expect_decode_error([&] { sub.u8(); }, "OFPBMC_BAD_LEN");  // The sub-reader's own code.
  expect_decode_error([&] { r.u16(); }, "OFPBAC_BAD_LEN");
  EXPECT_EQ(r.remaining(), 1U);  // A failed read consumes nothing.
  expect_decode_error([&] { r.skip_padding(6); }, "OFPBAC_BAD_LEN");
  r.skip_padding(7);
  EXPECT_TRUE(r.empty());
}

TEST(OpenflowBuffer, WriterPatchesLengthsAndPads) {
  Bytes out;
  Writer w(out);
  w.u16(0xabcd);
  w.u16(0);
  w.u8(1);
  w.pad_to_8(0);
  w.patch_length(2, 0);
  EXPECT_EQ(to_hex(out), "abcd000801000000");
  w.pad_to_8(0);
  EXPECT_EQ(out.size(), 8U);
  w.zeros(0x10000);
  expect_error([&] { w.patch_length(2, 0); }, "exceeds the 16-bit length field");
  expect_error([&] { w.patch_u16(out.size() - 1, 0); }, "not written yet");
}

TEST(OpenflowError, NamesCarryTypeAndCode) {
  const DecodeError e(errors::bmc_dup_field, "eth_type appears twice");
  EXPECT_EQ(e.type(), 4);
  EXPECT_EQ(e.code(), 10);
  EXPECT_EQ(e.name(), "OFPBMC_DUP_FIELD");
  EXPECT_STREQ(e.what(), "OFPBMC_DUP_FIELD: eth_type appears twice");
  EXPECT_EQ(error_name({0x1234, 0}), "OFPERR_UNKNOWN");
}

// ---------------------------------------------------------------------------------------
// Matches

TEST(OpenflowOxm, EveryFieldEncodesAsOvsDoes) {
  const auto rows = read_table("oxm_fields.txt", 3);
  EXPECT_GE(rows.size(), 130U);
  std::vector<bool> covered(field_count);
  for (const auto& row : rows) {
    SCOPED_TRACE(row[0] + " " + row[1]);
    const Version v = version_named(row[0]);
    const Match m = Match::parse(row[1]);
    for (const auto& e : m.entries()) covered[static_cast<std::size_t>(e.field)] = true;
    const Bytes golden = from_hex(row[2]);
    EXPECT_EQ(to_hex(encoded([&](Writer& w) { encode_match(m, v, w); })), row[2]);
    Reader r(golden, errors::bmc_bad_len);
    EXPECT_EQ(decode_match(r), m);
    EXPECT_TRUE(r.empty());
    // Every version reads every version's encoding (OVS accepts both tcp_flags forms).
    for (Version other : {Version::of13, Version::of14, Version::of15}) {
      const Bytes bytes = encoded([&](Writer& w) { encode_match(m, other, w); });
      Reader again(bytes, errors::bmc_bad_len);
      EXPECT_EQ(decode_match(again), m);
    }
  }
  for (std::size_t f = 0; f < field_count; ++f) EXPECT_TRUE(covered[f]) << field_info(static_cast<Field>(f)).name;
}

TEST(OpenflowOxm, SingleTlvs) {
  const auto tlv = [](Field f, std::uint64_t value, std::optional<std::uint64_t> mask, Version v) {
    const auto m = mask ? std::optional(uint_bytes(f, *mask)) : std::nullopt;
    return to_hex(encoded([&](Writer& w) { encode_oxm_field(f, uint_bytes(f, value), m, v, w); }));
  };
  EXPECT_EQ(tlv(Field::vlan_vid, 0x1005, std::nullopt, Version::of13), "80000c021005");
  EXPECT_EQ(tlv(Field::vlan_vid, 0x1000, 0x1000, Version::of13), "80000d0410001000");
  EXPECT_EQ(tlv(Field::mpls_label, 0xfffff, std::nullopt, Version::of13), "80004404000fffff");
  EXPECT_EQ(tlv(Field::ipv6_label, 0x12345, 0xfffff, Version::of15), "80003908000123450" "00fffff");
  EXPECT_EQ(tlv(Field::tun_dst, 0x0a000001, std::nullopt, Version::of13), "000140040a000001");
  EXPECT_EQ(tlv(Field::tcp_flags, 0x2, 0x12, Version::of14), "ffff55084f4e460000020012");
  EXPECT_EQ(tlv(Field::tcp_flags, 0x2, 0x12, Version::of15), "8000550400020012");
  expect_error([&] { tlv(Field::eth_type, 0x800, 0xff00, Version::of15); }, "not maskable");
  expect_error([&] { tlv(Field::ip_dscp, 64, std::nullopt, Version::of15); }, "outside the field");
  expect_error([&] { tlv(Field::ipv4_src, 0x0a000001, 0xff000000, Version::of15); }, "outside the mask");

  // A full mask keeps the hasmask bit on the wire but means an exact match; mask bits past
  // the field's width are ignored, as OVS does.
  const Bytes label = from_hex("8000390800012345ff0fffff");
  Reader r(label, errors::bmc_bad_len);
  const OxmEntry e = decode_oxm_field(r);
  EXPECT_EQ(e.field, Field::ipv6_label);
  ASSERT_TRUE(e.mask.has_value());
  EXPECT_EQ(*e.mask, full_field_mask(Field::ipv6_label));
  EXPECT_EQ(oxm_header(Field::tcp_flags, Version::of13).oxm_class, oxm_class_experimenter);
}

TEST(OpenflowOxm, EncodeRefusesAMatchWithoutItsPrerequisites) {
  Match m;
  m.set(Field::tcp_dst, 80);
  expect_error([&] { encoded([&](Writer& w) { encode_match(m, Version::of15, w); }); }, "cannot encode match");
  EXPECT_EQ(to_hex(encoded([&](Writer& w) { encode_match(Match(), Version::of13, w); })), "0001000400000000");
}

// ---------------------------------------------------------------------------------------

// Actions and instructions

struct ActionGolden {
  Version version;
  Action action;
  const char* hex;
};

// Wire bytes checked against OVS's own encoding of the same action (`ovs-ofctl parse-flow
// -mmmmm`), except plain outputs, where OVS writes max_len 0 and we write OFPCML_NO_BUFFER.
const ActionGolden kActionGoldens[] = {
    {Version::of13, OutputAction{2, {}}, "0000001000000002ffff000000000000"},
    {Version::of13, OutputAction{port_controller, {}}, "00000010fffffffdffff000000000000"},
    {Version::of13, OutputAction{port_controller, 128}, "00000010fffffffd0080000000000000"},
    {Version::of13, OutputAction{2, 100}, "ffff0010000023200027000200000064"},
    {Version::of15, OutputAction{port_local, 1500}, "ffff0010000023200027fffe000005dc"},
    {Version::of13, GroupAction{7}, "0016000800000007"},
    {Version::of13, PushVlanAction{0x8100}, "0011000881000000"},
    {Version::of14, PushVlanAction{0x88a8}, "0011000888a80000"},
    {Version::of13, PopVlanAction{}, "0012000800000000"},
    {Version::of15, MeterAction{5}, "001d000800000005"},
    {Version::of13, ResubmitAction{3}, "ffff001000002320000efff803000000"},
    {Version::of13, sf(Field::eth_dst, "fa:16:3e:00:00:03"), "0019001080000606fa163e0000030000"},
    {Version::of13, sf(Field::vlan_vid, "4196"), "0019001080000c021064000000000000"},
    {Version::of13, sf(Field::tun_dst, "10.0.0.1"), "00190010000140040a00000100000000"},
    {Version::of13, sf(Field::tun_id, "0x1234"), "0019001080004c080000000000001234"},
    {Version::of13, sf(Field::metadata, "5"), "00190010800004080000000000000005"},
    {Version::of13, sf(Field::ipv4_dst, "10.0.0.9"), "00190010800018040a00000900000000"},
    {Version::of13, sf(Field::ipv6_dst, "2001:db8::9"), "001900188000361020010db8000000000000000000000009"},
    {Version::of13, sf(Field::ipv6_label, "0x54321"), "00190010800038040005432100000000"},
    {Version::of13, sf(Field::mpls_label, "6"), "00190010800044040000000600000000"},
    {Version::of13, sf(Field::ip_dscp, "46"), "00190010800010012e00000000000000"},
    {Version::of13, sf(Field::udp_dst, "53"), "00190010800020020035000000000000"},
};

TEST(OpenflowActions, GoldenBytesBothWays) {
  for (const ActionGolden& g : kActionGoldens) {
    SCOPED_TRACE(to_string(g.action) + " in " + std::string(to_string(g.version)));
    EXPECT_EQ(to_hex(encoded([&](Writer& w) { encode_action(g.action, g.version, w); })), g.hex);
    const Bytes bytes = from_hex(g.hex);
    Reader r(bytes, errors::bac_bad_len);
    EXPECT_EQ(decode_actions(r, bytes.size(), g.version), std::vector<Action>{g.action});
  }
  // A list is the concatenation; its decoding keeps the order.
  const std::vector<Action> list{PopVlanAction{}, GroupAction{7}, ResubmitAction{3}};
  const Bytes bytes = encoded([&](Writer& w) { encode_actions(list, Version::of15, w); });
  Reader r(bytes, errors::bac_bad_len);
  EXPECT_EQ(decode_actions(r, bytes.size(), Version::of15), list);
  Reader short_reader(bytes, errors::bac_bad_len);
  expect_decode_error([&] { decode_actions(short_reader, bytes.size() + 8, Version::of15); }, "OFPBAC_BAD_LEN");
}

TEST(OpenflowActions, EncodeRefusesWhatTheWireOrOvsCannotCarry) {
  const auto encode = [](const Action& a, Version v) { encoded([&](Writer& w) { encode_action(a, v, w); }); };
  expect_error([&] { encode(MeterAction{1}, Version::of13); }, "cannot be an action in OpenFlow13");
  expect_error([&] { encode(MeterAction{1}, Version::of14); }, "cannot be an action in OpenFlow14");
  expect_error([&] { encode(MeterAction{0}, Version::of15); }, "meter id 0");
  expect_error([&] { encode(OutputAction{port_any, {}}, Version::of15); }, "OFPP_ANY");
  expect_error([&] { encode(OutputAction{port_normal, 100}, Version::of15); }, "truncates only to");
  expect_error([&] { encode(OutputAction{0xff00, 100}, Version::of15); }, "truncates only to");
  expect_error([&] { encode(OutputAction{2, 13}, Version::of15); }, "below the 14-byte");
  expect_error([&] { encode(sf(Field::eth_type, "0x800"), Version::of15); }, "read-only");
  expect_error([&] { encode(sf(Field::vlan_vid, "5"), Version::of15); }, "OFPVID_PRESENT");
  expect_error([&] { encode(PushVlanAction{0x0800}, Version::of15); }, "TPID");
  expect_error([&] { encode(ResubmitAction{255}, Version::of15); }, "not a table");
}

TEST(OpenflowInstructions, MeterIsAnInstructionBeforeOpenflow15) {
  const std::vector<Action> actions{MeterAction{5}, OutputAction{2, {}}};
  const std::string apply = "000400180000000000000010000000020000000000000000";
  const auto enc = [](const std::vector<Action>& a, Version v) {
    return to_hex(encoded([&](Writer& w) { encode_instructions(a, v, w); }));
  };
  EXPECT_EQ(enc(actions, Version::of13), "0006000800000005" + std::string("0004001800000000") +
                                             "0000001000000002ffff000000000000");
  EXPECT_EQ(enc(actions, Version::of14), enc(actions, Version::of13));
  EXPECT_EQ(enc(actions, Version::of15), "0004002000000000001d000800000005" "0000001000000002ffff000000000000");
  EXPECT_EQ(enc({MeterAction{5}}, Version::of13), "0006000800000005");
  EXPECT_EQ(enc({}, Version::of13), "");  // drop: no instruction at all, as OVS writes it.
  expect_error([&] { enc({OutputAction{2, {}}, MeterAction{5}}, Version::of13); }, "must be the first action");
  expect_error([&] { enc({MeterAction{5}, MeterAction{6}}, Version::of14); }, "must be the first action");
  expect_error([&] { enc({MeterAction{0}}, Version::of13); }, "meter id 0");
  EXPECT_NO_THROW(enc({OutputAction{2, {}}, MeterAction{5}}, Version::of15));

  // Whatever order the switch sends them in, the meter comes first; an empty apply-actions
  // is a drop.
  const auto dec = [](const std::string& hex, Version v) {
    const Bytes b = from_hex(hex);
    Reader r(b, errors::bic_bad_len);
    return decode_instructions(r, b.size(), v);
  };
  EXPECT_EQ(dec(apply + "0006000800000005", Version::of13), (std::vector<Action>{MeterAction{5}, OutputAction{2, {}}}));
  EXPECT_EQ(dec("0004000800000000", Version::of15), std::vector<Action>{});
  EXPECT_EQ(dec("", Version::of15), std::vector<Action>{});
}

}  // namespace
}  // namespace vtap::openflow
