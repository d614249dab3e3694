#pragma once
/// @file
/// OpenStack Tap-as-a-Service's Neutron API (`/v2.0/taas/tap_services`, `/v2.0/taas/tap_flows`)
/// on libvtap policies (docs/api.md, "TaaS"). A tap service names the monitor by its Neutron
/// port; a tap flow becomes the libvtap policies that copy its source port's traffic there.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libvtap/api/api_types.hpp"
#include "libvtap/service/controller.hpp"

namespace vtap::api {

/// A TaaS tap service: copies go to the VM of `port_id`.
struct TapService {
  std::string id, project_id, name, description, port_id;
};

/// A TaaS tap flow: the traffic of `source_port` in `direction` (`IN`: arriving at the port,
/// `OUT`: leaving it, `BOTH`), optionally only VLANs of `vlan_filter` (`"9,18-27"`).
struct TapFlow {
  std::string id, project_id, name, description, tap_service_id, source_port, direction, vlan_filter;
  std::vector<std::uint32_t> policies;  ///< The libvtap policies it became.
};

/// A TaaS tap mirror: the traffic of `port_id` in each of `directions` (`IN`/`OUT` to the
/// tunnel id, e.g. `{"IN": "102"}`) copied over GRE or ERSPAN v1 (`mirror_type` `gre` or
/// `erspanv1`) to `remote_ip`.
struct TapMirror {
  std::string id, project_id, name, description, port_id, remote_ip, mirror_type;
  std::map<std::string, std::string> directions;
  std::vector<std::uint32_t> policies;
};

/// `"9,18-27"` as VLAN_VID value/mask pairs (OFPVID_PRESENT set), the fewest aligned blocks
/// covering exactly those VLANs. Throws FieldError(`vlan_filter`) naming the bad part.
std::vector<std::pair<std::uint16_t, std::uint16_t>> vlan_blocks(std::string_view filter);

/// The policies `flow` becomes, for the VMs of `topology` (hosts named by their Neutron port,
/// `iface-id`): OUT taps the source port as sender toward any receiver; IN taps every other
/// VM as sender toward the source port; one policy per VLAN block. Pure; throws FieldError
/// naming `source_port` or `direction`.
std::vector<TapPolicy> tap_flow_policies(const TapFlow& flow, const TapService& service, const Topology& topology);

/// The policies `mirror` becomes: per direction, as tap_flow_policies() does, delivered over the
/// switch's `gre` or `erspan` tunnel port with key = the direction's tunnel id and, for ERSPAN,
/// index = that id read as hexadecimal (as TaaS's OVS driver sets `options:erspan_idx`, so
/// `102` is index 0x102). Pure; throws FieldError naming the field.
std::vector<TapPolicy> tap_mirror_policies(const TapMirror& mirror, const Topology& topology);

/// The TaaS resources over a Service, kept in a JSON file (or in memory). Thread-safe.
class Taas {
 public:
  Taas(Controller& service, std::optional<std::filesystem::path> file);
  /// Answers a request under `/v2.0/taas/`; `path` is the part after it.
  Response handle(const Request& request, const Caller& caller, std::string_view path);

 private:
  Response services(const Request& request, const Caller& caller, std::string_view id);
  Response flows(const Request& request, const Caller& caller, std::string_view id);
  Response mirrors(const Request& request, const Caller& caller, std::string_view id);
  template <class T, class Make>
  Response resource(const Request& request, const Caller& caller, std::string_view id, std::vector<T>& items,
                    const std::string& key, Make&& make);
  /// Adds the policies `make` gives, all or none; its FieldErrors get `key.` in front.
  std::vector<std::uint32_t> add_all(const std::string& key, const std::function<std::vector<TapPolicy>()>& make);
  void save() const;

  Controller& service_;
  std::optional<std::filesystem::path> file_;
  std::mutex mu_;
  std::vector<TapService> services_;
  std::vector<TapFlow> flows_;
  std::vector<TapMirror> mirrors_;
};

}  // namespace vtap::api
