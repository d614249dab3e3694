#pragma once
/// @file
/// Umbrella header of libvtap::core: the model, translation and the transport interface.
/// JSON support is in libvtap/model/json.hpp; the transports and the service have their own
/// targets and headers (libvtap/native/, libvtap/openvswitch/, libvtap/service/).

#include "libvtap/model/address.hpp"
#include "libvtap/model/error.hpp"
#include "libvtap/model/flow.hpp"
#include "libvtap/model/match.hpp"
#include "libvtap/model/ownership.hpp"
#include "libvtap/model/plan.hpp"
#include "libvtap/model/policy.hpp"
#include "libvtap/model/topology.hpp"
#include "libvtap/translate/explain.hpp"
#include "libvtap/translate/transition.hpp"
#include "libvtap/translate/translator.hpp"
#include "libvtap/transport/transport.hpp"
