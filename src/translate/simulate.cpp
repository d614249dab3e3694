#include <map>
#include <optional>

#include "libvtap/translate/explain.hpp"
#include "../common/overloaded.hpp"

namespace vtap {
namespace {

using detail::Overloaded;

std::uint64_t uint_of(const Match::Entry& e) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < field_bytes(e.field) && i < 8; ++i) v = (v << 8) | e.value[i];
  return v;
}

// Executes compiled rules on a model packet, the way a switch would, following copies
// across links until they leave the network at a host or a tunnel.
class Walker {
 public:
  Walker(const Topology& topo, const Plan& plan, const Match& original, std::uint8_t table)
      : topo_(topo), plan_(plan), original_(on_the_wire(original)), table_(table) {
    for (const auto& l : topo.links()) {
      peers_.emplace(l.a, l.b);
      peers_.emplace(l.b, l.a);
    }
  }

  std::vector<std::string> copies_from(const Host& sender, const Match& packet) {
    Packet p{packet, {}};
    if (!p.fields.has(Field::metadata)) p.fields.set(Field::metadata, 0);  // as a packet enters the switch
    const FlowRule* rule = lookup(sender.switch_name, p.fields, table_);
    if (!rule) return {};
    for (const Action& a : rule->actions) {
      if (const auto* g = std::get_if<GroupAction>(&a)) {
        // Bucket 0 carries the original; every other bucket a copy.
        const GroupEntry* group = find_group(sender.switch_name, g->group_id);
        if (!group) return {"LOST: group " + std::to_string(g->group_id) + " missing on " + sender.switch_name};
        for (const Bucket& b : group->buckets)
          if (b.bucket_id != 0) run(sender.switch_name, p, as_action_set(b.actions), 0);
      }
    }
    return std::move(out_);
  }

 private:
  struct Packet {
    Match fields;
    std::vector<std::optional<Match::Entry>> vlan_stack;
  };

  // What leaves the switch of a packet: neither its in_port nor its metadata.
  static Match on_the_wire(Match m) { return m.erase(Field::in_port).erase(Field::metadata), m; }

  const FlowRule* lookup(const std::string& sw, const Match& packet, std::uint8_t table) const {
    auto it = plan_.switches.find(sw);
    if (it == plan_.switches.end()) return nullptr;
    const FlowRule* best = nullptr;
    for (const FlowRule& r : it->second.flows)
      if (r.table == table && packet.is_subset_of(r.match) && (!best || r.priority > best->priority)) best = &r;
    return best;
  }

  // What Open vSwitch executes of a group bucket: an OpenFlow action set, so pops, then
  // pushes, then set_fields, then only the last output, group or resubmit. Meters are
  // ignored there, and a truncating output loses the copy.
  std::vector<Action> as_action_set(const std::vector<Action>& bucket) {
    std::vector<Action> pops, pushes, sets, terminal;
    for (const Action& a : bucket) {
      if (std::holds_alternative<PopVlanAction>(a)) pops.push_back(a);
      else if (std::holds_alternative<PushVlanAction>(a)) pushes.push_back(a);
      else if (std::holds_alternative<SetFieldAction>(a)) sets.push_back(a);
      else if (!std::holds_alternative<MeterAction>(a)) terminal = {a};
    }
    if (!terminal.empty())
      if (const auto* o = std::get_if<OutputAction>(&terminal[0]); o && o->max_len) {
        out_.push_back("LOST: OVS drops a truncating output inside a group bucket");
        terminal.clear();
      }
    std::vector<Action> set;
    for (auto* part : {&pops, &pushes, &sets, &terminal}) set.insert(set.end(), part->begin(), part->end());
    return set;
  }

  const GroupEntry* find_group(const std::string& sw, std::uint32_t id) const {
    auto it = plan_.switches.find(sw);
    if (it == plan_.switches.end()) return nullptr;
    for (const GroupEntry& g : it->second.groups)
      if (g.group_id == id) return &g;
    return nullptr;
  }

  const Host* host_at(const std::string& sw, std::uint32_t port) const {
    for (const Host& h : topo_.hosts())
      if (h.switch_name == sw && h.port == port) return &h;
    return nullptr;
  }

  void run(const std::string& sw, Packet p, const std::vector<Action>& actions, int hops) {
    if (hops > 64) {
      out_.push_back("LOST: loop at " + sw);
      return;
    }
    for (const Action& action : actions) {
      std::visit(Overloaded{
                     [&](const OutputAction& a) { output(sw, p, a.port, hops); },
                     [&](const GroupAction& a) {
                       if (const GroupEntry* g = find_group(sw, a.group_id))
                         for (const Bucket& b : g->buckets) run(sw, p, as_action_set(b.actions), hops);
                     },
                     [&](const SetFieldAction& a) {
                       FieldBytes full{};
                       for (std::size_t i = 0; i < field_bytes(a.field); ++i) full[i] = 0xff;
                       if (a.field == Field::vlan_vid) full[0] = 0x1f;
                       p.fields.set(a.field, a.value, full);
                     },
                     [&](const PushVlanAction&) {
                       p.vlan_stack.push_back(p.fields.find(Field::vlan_vid));
                       p.fields.set(Field::vlan_vid, 0x1000, 0x1fff);
                     },
                     [&](const PopVlanAction&) {
                       std::optional<Match::Entry> below;
                       if (!p.vlan_stack.empty()) {
                         below = p.vlan_stack.back();
                         p.vlan_stack.pop_back();
                       }
                       p.fields.erase(Field::vlan_vid);
                       if (below) p.fields.set(below->field, below->value, below->mask);
                     },
                     [&](const MeterAction&) {},
                     [&](const ResubmitAction& a) {
                       if (const FlowRule* r = lookup(sw, p.fields, a.table)) run(sw, p, r->actions, hops + 1);
                       else out_.push_back("LOST: no rule for the copy in table " + std::to_string(a.table) + " of " + sw);
                     },
                 },
                 action);
    }
  }

  void output(const std::string& sw, const Packet& p, std::uint32_t port, int hops) {
    const Switch* s = topo_.find_switch(sw);
    if (s && (s->tunnel_port == port ||
              std::any_of(s->tunnel_ports.begin(), s->tunnel_ports.end(), [&](const auto& t) { return t.second == port; }))) {
      const auto dst = p.fields.find(Field::tun_dst);
      const auto key = p.fields.find(Field::tun_id);
      out_.push_back("tunnel " + (dst ? Ipv4Address(static_cast<std::uint32_t>(uint_of(*dst))).to_string() : "?") +
                     " key " + (key ? std::to_string(uint_of(*key)) : "?"));
      return;
    }
    if (const Host* h = host_at(sw, port)) {
      out_.push_back(on_the_wire(p.fields) == original_ ? h->name : "ALTERED: " + h->name);
      return;
    }
    auto peer = peers_.find(PortRef{sw, port});
    if (peer == peers_.end()) {
      out_.push_back("LOST: " + sw + " port " + port_to_string(port) + " leads nowhere");
      return;
    }
    Packet next = p;
    next.fields.set(Field::in_port, peer->second.port);
    const FlowRule* rule = lookup(peer->second.switch_name, next.fields, table_);
    if (!rule) {
      out_.push_back("LOST: no rule for the copy on " + peer->second.switch_name);
      return;
    }
    run(peer->second.switch_name, std::move(next), rule->actions, hops + 1);
  }

  const Topology& topo_;
  const Plan& plan_;
  Match original_;
  std::uint8_t table_;
  std::map<PortRef, PortRef> peers_;
  std::vector<std::string> out_;
};

}  // namespace

std::vector<std::string> simulate(const Topology& topology, const Plan& plan, const Host& sender, const Match& packet,
                                  std::uint8_t table) {
  Match placed = packet;
  if (!placed.has(Field::in_port)) placed.set(Field::in_port, sender.port);
  return Walker(topology, plan, placed, table).copies_from(sender, placed);
}

}  // namespace vtap
