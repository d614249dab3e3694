// Byte-level parity of libvtap's OpenFlow codec with Open vSwitch's own encoders: every
// FlowMod, GroupMod and MeterMod the translator's plans turn into (adds from nothing and
// deletes back to nothing), for OpenFlow 1.3, 1.4 and 1.5, encoded by
// vtap::openflow::encode and by OVS (ovs-ofctl text -> parse_ofp_*_str -> ofputil_encode_*).
// The bytes must be identical; the only exceptions are listed in `canonical_difference`
// below, and for those the `ovs-ofctl ofp-print` texts must be identical instead. The
// bundle messages the libopenvswitch transport writes and reads are checked too.

#ifdef VTAP_WITH_OPENVSWITCH

#include <gtest/gtest.h>

#include <set>

#include "libvtap/transport/change_set.hpp"
#include "ovs_c.hpp"
#include "ovs_codec.hpp"
#include "plan_corpus.hpp"

namespace vtap::openflow {
namespace {

std::vector<Message> messages_of(const ChangeSet& c) {
  std::vector<Message> out;
  for (const auto& m : c.meters_first) out.push_back(m);
  for (const auto& m : c.bundle) out.push_back(m);
  for (const auto& m : c.meters_last) out.push_back(m);
  return out;
}

bool has_plain_output(const std::vector<Action>& actions) {
  for (const Action& a : actions)
    if (const auto* o = std::get_if<OutputAction>(&a); o && o->port != port_controller) return true;
  return false;
}

// Where the two encoders may legitimately write different bytes for the same message.
// Returns why, or nullptr when the bytes must be identical.
const char* canonical_difference(const Message& m) {
  static const char* const output_max_len =
      "ofp_action_output.max_len only matters for output to CONTROLLER (OpenFlow 1.5.1 7.2.6.1): libvtap "
      "writes OFPCML_NO_BUFFER (0xffff) for every port, OVS's text parser writes 0 for other ports";
  if (const auto* f = std::get_if<FlowMod>(&m)) {
    // A delete with cookie_mask 0 ignores the cookie field: OVS writes cookie & mask (0),
    // libvtap writes the rule's cookie. Same meaning (OpenFlow 1.5.1 7.3.4.2).
    if ((f->command == FlowModCommand::delete_ || f->command == FlowModCommand::delete_strict) && f->cookie_mask == 0 &&
        f->rule.cookie != 0)
      return "a delete with cookie_mask 0 ignores its cookie field: libvtap writes the rule's cookie, OVS writes 0";
    if (has_plain_output(f->rule.actions)) return output_max_len;
  }
  if (const auto* g = std::get_if<GroupMod>(&m)) {
    for (const Bucket& b : g->group.buckets)
      if (has_plain_output(b.actions)) return output_max_len;
  }
  return nullptr;
}

class OvsCodecParity : public ::testing::TestWithParam<Version> {};

TEST_P(OvsCodecParity, EveryMessageOfEveryRuleKindEncodesLikeOvs) {
  const Version version = GetParam();
  std::size_t compared = 0, identical = 0;
  for (const auto& [name, plan] : vtap::testing::plan_corpus(VTAP_EXAMPLES_DIR)) {
    for (const ChangeSet& change : {diff({}, plan), diff(plan, {})}) {
      for (const Message& m : messages_of(change)) {
        SCOPED_TRACE(name + ": " + std::string(type_name(m)));
        std::vector<std::uint8_t> ours;
        try {
          ours = encode(m, version, 0);
        } catch (const Error& e) {
          // Not expressible in this version (e.g. a meter in a group bucket before 1.5).
          ADD_FAILURE() << "libvtap cannot encode it: " << e.what();
          continue;
        }
        const ovs::Buffer theirs = ovs::encode(m, version);
        const auto bytes = ovs::bytes_of(*theirs);
        // Both with OVS's xid, which is the only field chosen independently.
        ours = encode(m, version, ovs::xid_of(*theirs));
        const std::vector<std::uint8_t> ovs_bytes(bytes.begin(), bytes.end());
        ++compared;
        if (ours == ovs_bytes) {
          ++identical;
          continue;
        }
        const char* why = canonical_difference(m);
        auto hex = [](const std::vector<std::uint8_t>& b) {
          std::string h;
          char x[3];
          for (auto c : b) {
            std::snprintf(x, sizeof x, "%02x", c);
            h += x;
          }
          return h;
        };
        EXPECT_NE(why, nullptr) << "bytes differ\n  " << hex(ours) << "\n  " << hex(ovs_bytes) << "\n  libvtap: " << ovs::to_string(ours)
                                << "\n  OVS:     " << ovs::to_string(ovs_bytes);
        if (why) {
          EXPECT_EQ(ovs::to_string(ours), ovs::to_string(ovs_bytes)) << why;
        }
      }
    }
  }
  EXPECT_GT(compared, 100U);
  std::cout << "[          ] " << compared << " messages compared, " << identical << " byte-identical\n";
}

// The bundle messages the libopenvswitch transport writes (ovs_bundle.cpp) and the replies
// it reads: OVS's bundle control request is libvtap's byte for byte, OVS's bundle add reads
// back in libvtap as the flow mod it wraps, and a switch's replies as libvtap writes them
// read in OVS as what they are.
TEST_P(OvsCodecParity, BundleMessagesMeanTheSameToBothCodecs) {
  const Version version = GetParam();
  const BundleControl open{7, BundleControlType::open_request, bundle_atomic | bundle_ordered};
  const ovs::Buffer control = ovs::encode_bundle_control(version, open);
  const auto control_bytes = ovs::bytes_of(*control);
  EXPECT_EQ(encode(open, version, ovs::xid_of(*control)),
            std::vector<std::uint8_t>(control_bytes.begin(), control_bytes.end()));

  const auto plans = vtap::testing::plan_corpus(VTAP_EXAMPLES_DIR);
  const ovs::Buffer inner = ovs::encode(FlowMod{FlowModCommand::add, plans.front().plan.flows.front()}, version);
  const ovs::Buffer add = ovs::encode_bundle_add(version, 7, open.flags, *inner);
  EXPECT_EQ(ovs::xid_of(*add), ovs::xid_of(*inner));
  const Frame frame = decode(ovs::bytes_of(*add));
  const auto* bundle_add = std::get_if<BundleAdd>(&frame.message);
  ASSERT_NE(bundle_add, nullptr);
  EXPECT_EQ(bundle_add->bundle_id, 7U);
  EXPECT_EQ(bundle_add->flags, open.flags);
  EXPECT_EQ(Message(std::get<FlowMod>(bundle_add->message)), decode(ovs::bytes_of(*inner)).message);

  auto read = [&](const Message& m, auto check) {
    const std::vector<std::uint8_t> wire = encode(m, version, 42);
    ofpbuf b;
    ofpbuf_use_const(&b, wire.data(), wire.size());
    check(b);
  };
  const BundleControl commit{7, BundleControlType::commit_reply, open.flags};
  read(commit, [&](const ofpbuf& b) {
    EXPECT_EQ(ovs::kind_of(b), ovs::Kind::bundle_control);
    EXPECT_EQ(ovs::decode_bundle_control(b), std::optional<BundleControl>(commit));
  });
  read(BarrierReply{}, [&](const ofpbuf& b) {
    EXPECT_EQ(ovs::kind_of(b), ovs::Kind::barrier_reply);
    EXPECT_EQ(ovs::decode_bundle_control(b), std::nullopt);
  });
}

INSTANTIATE_TEST_SUITE_P(Versions, OvsCodecParity, ::testing::Values(Version::of13, Version::of14, Version::of15),
                         [](const ::testing::TestParamInfo<Version>& p) { return std::string(to_string(p.param)); });

TEST(OvsCodec, TakesOnlyModifications) {
  EXPECT_THROW((void)ovs::encode(BarrierRequest{}, Version::of15), Error);
}

}  // namespace
}  // namespace vtap::openflow

#endif  // VTAP_WITH_OPENVSWITCH
