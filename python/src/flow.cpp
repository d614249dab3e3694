// Actions, flow rules, groups, meters and plans: read-only values whose str() is ovs-ofctl text.

#include <functional>
#include <string>
#include <vector>

#include <pybind11/native_enum.h>
#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include <libvtap/model/flow.hpp>
#include <libvtap/translate/translator.hpp>

#include "bindings.hpp"

namespace vtap::python {

namespace {

// ==, !=, str, repr (`Name('ovs-ofctl text')`) and a hash of the text for an immutable value.
template <class T, class Text>
void text_value(py::class_<T>& cls, const char* name, Text text) {
  equality(cls);
  cls.def("__str__", text)
      .def("__repr__", [name, text](const T& v) { return text_repr(name, text(v)); })
      .def("__hash__", [text](const T& v) { return std::hash<std::string>{}(text(v)); });
}

template <class A>
void action_class(py::module_& m, const char* name, const char* doc, auto&& add_fields) {
  py::class_<A> cls(m, name, doc);
  add_fields(cls);
  text_value(cls, name, [](const A& a) { return to_string(Action{a}); });
}

std::string lines(const auto& items) {
  std::string s;
  for (const auto& item : items) s += item.to_string() + "\n";
  return s;
}

}  // namespace

void init_flow(py::module_& m) {
  m.attr("PORT_IN_PORT") = port_in_port;
  m.attr("PORT_NORMAL") = port_normal;
  m.attr("PORT_CONTROLLER") = port_controller;
  m.attr("PORT_LOCAL") = port_local;

  action_class<OutputAction>(m, "OutputAction", "Output to `port`; with `max_len`, the copy is truncated to that many bytes.",
                             [](auto& c) {
                               c.def_readonly("port", &OutputAction::port, "OpenFlow port number.")
                                   .def_readonly("max_len", &OutputAction::max_len, "Truncation length, or None.");
                             });
  action_class<GroupAction>(m, "GroupAction", "Apply group `group_id`.", [](auto& c) {
    c.def_readonly("group_id", &GroupAction::group_id, "The group applied.");
  });
  action_class<SetFieldAction>(m, "SetFieldAction", "Set `field` to `value` (OFPAT_SET_FIELD).", [](auto& c) {
    c.def_readonly("field", &SetFieldAction::field, "The field written.")
        .def_property_readonly(
            "value",
            [](const SetFieldAction& a) {
              return py::bytes(reinterpret_cast<const char*>(a.value.data()), field_bytes(a.field));
            },
            "The value written, big-endian bytes of the field's width.");
  });
  action_class<PushVlanAction>(m, "PushVlanAction", "Push a VLAN header with TPID `ethertype`.", [](auto& c) {
    c.def_readonly("ethertype", &PushVlanAction::ethertype, "TPID: 0x8100 or 0x88a8.");
  });
  action_class<PopVlanAction>(m, "PopVlanAction", "Pop the outermost VLAN header.", [](auto&) {});
  action_class<MeterAction>(m, "MeterAction", "Pass through meter `meter_id`.", [](auto& c) {
    c.def_readonly("meter_id", &MeterAction::meter_id, "The meter applied.");
  });
  action_class<ResubmitAction>(m, "ResubmitAction", "Continue in `table` of this switch (resubmit(,T)).",
                               [](auto& c) { c.def_readonly("table", &ResubmitAction::table, "Target table."); });

  py::class_<FlowRule> flow(m, "FlowRule", "One flow table entry (read-only); str() is an ovs-ofctl add-flows line.");
  flow.def_readonly("table", &FlowRule::table, "Table id.")
      .def_readonly("priority", &FlowRule::priority, "Priority.")
      .def_readonly("cookie", &FlowRule::cookie, "Cookie (libvtap's owner mark, kind and policy).")
      .def_readonly("match", &FlowRule::match, "The rule's Match.")
      .def_readonly("actions", &FlowRule::actions, "The actions applied, in order (empty: drop).")
      .def(py::self < py::self);
  text_value(flow, "FlowRule", [](const FlowRule& r) { return r.to_string(); });

  py::native_enum<GroupType>(m, "GroupType", "enum.Enum", "OpenFlow group types.")
      .value("all", GroupType::all, "Every bucket (copies).")
      .value("select", GroupType::select, "One bucket, chosen by the switch.")
      .value("indirect", GroupType::indirect, "The single bucket.")
      .value("fast_failover", GroupType::fast_failover, "The first live bucket.")
      .finalize();

  py::class_<Bucket> bucket(m, "Bucket", "One group bucket with its explicit OpenFlow 1.5 bucket id (read-only).");
  bucket.def_readonly("bucket_id", &Bucket::bucket_id, "Bucket id.")
      .def_readonly("actions", &Bucket::actions, "The bucket's actions.");
  text_value(bucket, "Bucket", [](const Bucket& b) {
    return "bucket_id:" + std::to_string(b.bucket_id) + ",actions=" + to_string(b.actions);
  });

  py::class_<GroupEntry> group(m, "GroupEntry", "One group table entry (read-only); str() is an ovs-ofctl add-groups line.");
  group.def_readonly("group_id", &GroupEntry::group_id, "Group id.")
      .def_readonly("type", &GroupEntry::type, "GroupType.")
      .def_readonly("buckets", &GroupEntry::buckets, "The buckets, in order.")
      .def(py::self < py::self);
  text_value(group, "GroupEntry", [](const GroupEntry& g) { return g.to_string(); });

  py::class_<MeterEntry> meter(m, "MeterEntry", "A meter with one drop band (read-only); str() is an ovs-ofctl add-meters line.");
  py::native_enum<MeterEntry::Unit>(meter, "Unit", "enum.Enum", "Unit of a meter's rate.")
      .value("pktps", MeterEntry::Unit::pktps, "Packets per second.")
      .value("kbps", MeterEntry::Unit::kbps, "Kilobits per second.")
      .finalize();
  meter.def_readonly("meter_id", &MeterEntry::meter_id, "Meter id.")
      .def_readonly("unit", &MeterEntry::unit, "MeterEntry.Unit.")
      .def_readonly("rate", &MeterEntry::rate, "Rate of the drop band.")
      .def_readonly("burst", &MeterEntry::burst, "Burst size; 0 means none set.")
      .def(py::self < py::self);
  text_value(meter, "MeterEntry", [](const MeterEntry& x) { return x.to_string(); });

  py::class_<SwitchPlan> sp(m, "SwitchPlan",
                            "The OpenFlow state one switch must hold (read-only): meters, groups and flows, each sorted.\n"
                            "str() gives the lines of the three lists, meters first, as vtapctl compile writes them.");
  sp.def(py::init<>(), "An empty plan (install it to remove every libvtap rule from a switch).")
      .def_readonly("meters", &SwitchPlan::meters, "MeterEntry list.")
      .def_readonly("groups", &SwitchPlan::groups, "GroupEntry list.")
      .def_readonly("flows", &SwitchPlan::flows, "FlowRule list.")
      .def_property_readonly("empty", &SwitchPlan::empty, "True when the switch needs no state.")
      .def("__str__", [](const SwitchPlan& p) { return lines(p.meters) + lines(p.groups) + lines(p.flows); })
      .def("__repr__", [](const SwitchPlan& p) {
        return "<SwitchPlan " + std::to_string(p.meters.size()) + " meters, " + std::to_string(p.groups.size()) +
               " groups, " + std::to_string(p.flows.size()) + " flows>";
      });
  equality(sp);
  sp.attr("__hash__") = py::none();

  py::class_<Plan> plan(m, "Plan", "The state of every switch that needs any (read-only), by switch name.");
  plan.def(py::init<>(), "An empty plan.")
      .def_readonly("switches", &Plan::switches, "dict of switch name to SwitchPlan.")
      .def("__getitem__", [](const Plan& p, const std::string& name) {
        auto it = p.switches.find(name);
        if (it == p.switches.end()) throw py::key_error(name);
        return it->second;
      }, py::arg("switch_name"), "The SwitchPlan of `switch_name`; KeyError when it needs nothing.")
      .def("__contains__", [](const Plan& p, const std::string& name) { return p.switches.contains(name); },
           py::arg("switch_name"))
      .def("__len__", [](const Plan& p) { return p.switches.size(); }, "Number of switches that need state.")
      .def("__iter__", [](const Plan& p) {
        py::list names;
        for (const auto& [name, _] : p.switches) names.append(name);
        return py::typing::Iterator<std::string>(py::iter(names));
      }, "Iterates over the switch names, sorted.")
      .def("__str__", [](const Plan& p) {
        std::string s;
        for (const auto& [name, sw] : p.switches)
          s += "# " + name + "\n" + lines(sw.meters) + lines(sw.groups) + lines(sw.flows);
        return s;
      })
      .def("__repr__", [](const Plan& p) { return "<Plan of " + std::to_string(p.switches.size()) + " switches>"; });
  equality(plan);
  plan.attr("__hash__") = py::none();
}

}  // namespace vtap::python
