#pragma once
/// @file
/// How a transport talks to a switch: versions offered, keepalive, time-outs, bundle size,
/// TLS files. Every transport takes the same options.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "libvtap/openflow/version.hpp"

namespace vtap::openflow {

/// Options of one connection to a switch.
struct SessionOptions {
  std::vector<Version> versions{Version::of13, Version::of14, Version::of15};
  std::chrono::milliseconds echo_interval{5000};  ///< Keepalive period; 0 disables keepalive.
  unsigned echo_misses = 3;                        ///< Unanswered echos before the peer is dead.
  std::chrono::milliseconds request_timeout{30000};
  std::size_t bundle_chunk = 5000;  ///< Most messages in one bundle; a larger change is split.
  std::string ssl_private_key;      ///< ssl: PEM files, as ovs-ofctl's -p/-c/-C.
  std::string ssl_certificate;
  std::string ssl_ca_certificate;
};

}  // namespace vtap::openflow
