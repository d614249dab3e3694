// Fuzzes the libopenvswitch transport's reply decoding (src/ovs/ovs_codec.hpp) with
// arbitrary bytes read as one message the way a vconn hands it over (the header's length
// set to the input's size): every decoder of a switch's replies must either return entries
// or throw vtap::Error, never crash, whatever the message is. Built only with
// libopenvswitch (VTAP_WITH_OPENVSWITCH).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "libvtap/model/error.hpp"
#include "ovs_c.hpp"
#include "ovs_codec.hpp"

namespace {

namespace of = vtap::openflow;

template <class F>
void attempt(F f) {
  try {
    (void)f();
  } catch (const vtap::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < sizeof(ofp_header) || size > 0xffff) return 0;
  vtap::ovs::init_once();
  std::vector<std::uint8_t> bytes(data, data + size);
  bytes[2] = static_cast<std::uint8_t>(size >> 8);  // As vconn_recv guarantees.
  bytes[3] = static_cast<std::uint8_t>(size);
  ofpbuf b;
  ofpbuf_use_const(&b, bytes.data(), bytes.size());
  const auto version = of::version_from_wire(bytes[0]).value_or(of::Version::of15);
  attempt([&] { return vtap::ovs::decode_flow_stats(b, version); });
  attempt([&] { return vtap::ovs::decode_group_desc(b, version); });
  attempt([&] { return vtap::ovs::decode_meter_config(b); });
  attempt([&] { return vtap::ovs::decode_group_stats(b); });
  attempt([&] { return vtap::ovs::decode_datapath_id(b); });
  if (vtap::ovs::kind_of(b) == vtap::ovs::Kind::error) (void)vtap::ovs::decode_error(b);
  (void)vtap::ovs::more_follows(b);
  (void)vtap::ovs::decode_bundle_control(b);
  return 0;
}
