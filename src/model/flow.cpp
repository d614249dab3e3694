#include "libvtap/model/flow.hpp"

#include "../common/overloaded.hpp"

#include <cstdio>
#include <sstream>

namespace vtap {
namespace {

using detail::Overloaded;

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::uint64_t to_uint(Field f, const FieldBytes& b) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < field_bytes(f) && i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

// The value of a set_field action in the text form ovs-ofctl reads for that field.
std::string field_value_to_string(Field f, const FieldBytes& b) {
  switch (field_info(f).format) {
    case FieldFormat::ethernet: {
      MacAddress::Bytes m{};
      std::copy_n(b.begin(), m.size(), m.begin());
      return MacAddress(m).to_string();
    }
    case FieldFormat::ipv4:
      return Ipv4Address(static_cast<std::uint32_t>(to_uint(f, b))).to_string();
    case FieldFormat::ipv6: {
      Ipv6Address::Bytes a{};
      std::copy_n(b.begin(), a.size(), a.begin());
      return Ipv6Address(a).to_string();
    }
    case FieldFormat::decimal:
    case FieldFormat::vlan:  // OVS prints set_field:7096->vlan_vid, present bit included
      return std::to_string(to_uint(f, b));
    default:
      return hex(to_uint(f, b));
  }
}

// The OXM-style names ovs-ofctl reads on the right of `set_field:V->NAME` (the printed
// names are ambiguous there: `tp_dst` means TCP, `dl_vlan_pcp` an older field).
std::string set_field_name(Field f) {
  const FieldInfo& info = field_info(f);
  switch (f) {
    case Field::vlan_vid: return "vlan_vid";
    case Field::tun_id:
    case Field::ipv6_label:   // OVS reads neither ipv6_flabel
    case Field::icmpv4_type:  // nor icmpv4_type/code.
    case Field::icmpv4_code: return std::string(info.name);
    default: return std::string(info.alias.empty() ? info.name : info.alias);
  }
}

}  // namespace

std::string port_to_string(std::uint32_t port) {
  switch (port) {
    case port_in_port: return "IN_PORT";
    case port_normal: return "NORMAL";
    case port_controller: return "CONTROLLER";
    case port_local: return "LOCAL";
    default: return std::to_string(port);
  }
}

std::string to_string(const Action& action) {
  return std::visit(
      Overloaded{
          [](const OutputAction& a) {
            if (!a.max_len) return "output:" + port_to_string(a.port);
            return "output(port=" + port_to_string(a.port) + ",max_len=" + std::to_string(*a.max_len) + ")";
          },
          [](const GroupAction& a) { return "group:" + std::to_string(a.group_id); },
          [](const SetFieldAction& a) {
            return "set_field:" + field_value_to_string(a.field, a.value) + "->" + set_field_name(a.field);
          },
          [](const PushVlanAction& a) { return "push_vlan:" + hex(a.ethertype); },
          [](const PopVlanAction&) { return std::string("pop_vlan"); },
          [](const MeterAction& a) { return "meter:" + std::to_string(a.meter_id); },
          [](const ResubmitAction& a) { return "resubmit(," + std::to_string(a.table) + ")"; },
      },
      action);
}

std::string to_string(const std::vector<Action>& actions) {
  if (actions.empty()) return "drop";
  std::string out;
  for (const auto& a : actions) {
    if (!out.empty()) out += ',';
    out += to_string(a);
  }
  return out;
}

std::string FlowRule::to_string() const {
  std::string out = "table=" + std::to_string(table) + ",priority=" + std::to_string(priority) +
                    ",cookie=" + hex(cookie);
  const std::string m = match.to_string();
  if (!m.empty()) out += "," + m;
  return out + ",actions=" + vtap::to_string(actions);
}

std::string to_string(GroupType type) {
  switch (type) {
    case GroupType::all: return "all";
    case GroupType::select: return "select";
    case GroupType::indirect: return "indirect";
    case GroupType::fast_failover: return "ff";
  }
  return "all";
}

std::string GroupEntry::to_string() const {
  std::string out = "group_id=" + std::to_string(group_id) + ",type=" + vtap::to_string(type);
  for (const auto& b : buckets)
    out += ",bucket=bucket_id:" + std::to_string(b.bucket_id) + ",actions=" + vtap::to_string(b.actions);
  return out;
}

std::string MeterEntry::to_string() const {
  std::string out = "meter=" + std::to_string(meter_id) + (unit == Unit::pktps ? ",pktps" : ",kbps");
  if (burst != 0) out += ",burst";
  out += ",bands=type=drop,rate=" + std::to_string(rate);
  if (burst != 0) out += ",burst_size=" + std::to_string(burst);
  return out;
}

}  // namespace vtap
