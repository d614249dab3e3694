#pragma once
/// @file
/// The service's events as Server-Sent Events (docs/api.md, "Events"): one `EventHub` takes
/// every ServiceEvent and hands each subscriber the frames its caller may see.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "libvtap/service/controller.hpp"

namespace vtap::api {

/// An event as JSON: `{"kind":"applied","policy":3,"tenant":"t1","switch":"s1","detail":...,"time":...}`.
nlohmann::json event_to_json(const ServiceEvent& event);

/// Whether `caller` may see `event`: an administrator every event, a tenant only those about
/// its own policies (switch and topology events name other tenants' VMs and the fabric).
bool visible_to(const ServiceEvent& event, const Caller& caller);

class EventHub {
 public:
  /// Receives one complete SSE frame (`id: N\nevent: KIND\ndata: JSON\n\n`). Called on the
  /// thread that raised the event; must not block.
  using Sink = std::function<void(const std::string& frame)>;

  /// Registers a sink for what `caller` may see; returns a handle for unsubscribe().
  std::uint64_t subscribe(Caller caller, Sink sink);
  void unsubscribe(std::uint64_t handle);
  /// Formats `event` once and hands it to every sink allowed to see it.
  void publish(const ServiceEvent& event);
  std::size_t subscribers() const;

 private:
  mutable std::mutex mu_;
  std::uint64_t next_handle_ = 1;
  std::uint64_t next_event_id_ = 1;
  std::map<std::uint64_t, std::pair<Caller, Sink>> sinks_;
};

}  // namespace vtap::api
