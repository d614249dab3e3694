#pragma once
/// @file
/// The native transport: libvtap's own OpenFlow codec over Boost.Asio sessions.

#include <memory>

#include "libvtap/transport/transport.hpp"

namespace vtap {

/// The native transport: libvtap's own codec over Boost.Asio, on one I/O thread it owns.
std::shared_ptr<Transport> make_native_transport();

}  // namespace vtap
