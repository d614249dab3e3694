#pragma once
/// @file
/// Umbrella header: the whole core API of libvtap (JSON support is in libvtap/json.hpp).

#include "libvtap/address.hpp"
#include "libvtap/error.hpp"
#include "libvtap/explain.hpp"
#include "libvtap/flow.hpp"
#include "libvtap/match.hpp"
#include "libvtap/policy.hpp"
#include "libvtap/topology.hpp"
#include "libvtap/translator.hpp"
