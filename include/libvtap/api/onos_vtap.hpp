#pragma once
/// @file
/// ONOS openstackvtap's vtap JSON as libvtap policies (`POST /v1/import/onos`, docs/api.md).
///
/// An ONOS vtap is `{"type": "all"|"rx"|"tx"|"any", "criterion": {"srcIp", "dstIp", "ipProto",
/// "srcPort", "dstPort"}}`; ONOS sends its copies to a separately configured vtap network, so the
/// import names the monitor: `{"monitor": {"ip": ...}, "vtap": {...}}` or, as ONOS lists them,
/// `{"monitor": ..., "vtaps": [...]}`.

#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "libvtap/model/policy.hpp"

namespace vtap::api {

/// The policies of an import body. `srcIp` is the sender, `dstIp` the receiver; `tx` and `rx`
/// (ONOS taps at the source's or the destination's edge) copy that direction, `all` and `any`
/// both directions; `ipProto` (`tcp`, `udp`, `icmp`, `any` or a number) and non-zero ports
/// become the filter. Pure; throws FieldError naming the field, e.g. `vtaps[1].criterion.srcIp`.
std::vector<TapPolicy> policies_from_onos(const nlohmann::json& body);

}  // namespace vtap::api
