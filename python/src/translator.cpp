// TranslatorOptions, Translator, translate() and explain().

#include <string>
#include <vector>

#include <pybind11/native_enum.h>
#include <pybind11/stl.h>

#include <libvtap/translate/explain.hpp>
#include <libvtap/translate/translator.hpp>

#include "bindings.hpp"
#include "convert.hpp"

namespace vtap::python {

void init_translator(py::module_& m) {
  py::native_enum<Forwarding>(m, "Forwarding", "enum.Enum", "How the original packet leaves the sender's edge switch.")
      .value("path", Forwarding::path, "Output on the port toward the receiver on the topology's path.")
      .value("normal", Forwarding::normal, "output:NORMAL: the switch's own L2 learning.")
      .value("resubmit", Forwarding::resubmit, "resubmit(,T): continue in the switch's pipeline at resubmit_table.")
      .finalize();
  py::native_enum<RuleKind>(m, "RuleKind", "enum.Enum", "The kind of rule a cookie marks (bits 40..47).")
      .value("tap", RuleKind::tap)
      .value("composed", RuleKind::composed)
      .value("transit", RuleKind::transit)
      .value("recovery", RuleKind::recovery)
      .value("copy", RuleKind::copy)
      .finalize();
  m.def("make_cookie", &make_cookie, py::arg("kind"), py::arg("id"),
        "The cookie libvtap gives a rule of `kind` for policy (or mark, or policy-set hash) `id`.");
  py::class_<IdRange> range(m, "IdRange", "An inclusive range of group or meter ids libvtap owns.");
  range.def(py::init([](std::uint32_t first, std::uint32_t last) { return IdRange{first, last}; }), py::arg("first"),
             py::arg("last"))
      .def(py::init([](const std::pair<std::uint32_t, std::uint32_t>& t) { return IdRange{t.first, t.second}; }),
           py::arg("range"), "From a (first, last) tuple.")
      .def_static(
          "parse", [](std::string_view text) { return IdRange::parse(text, "range", max_group_id); }, py::arg("text"),
          "Parses `FIRST-LAST` (decimal or 0x hex); raises ParseError.")
      .def_readonly("first", &IdRange::first, "The first id of the range.")
      .def_readonly("last", &IdRange::last, "The last id of the range (inclusive).")
      .def("__contains__", &IdRange::contains, py::arg("id"), "Whether `id` lies in the range.")
      .def("__len__", [](const IdRange& r) { return r.size(); })
      .def("__str__", &IdRange::to_string)
      .def("__repr__", [](const IdRange& r) {
        return "IdRange(" + std::to_string(r.first) + ", " + std::to_string(r.last) + ")";
      });
  equality(range);
  range.def("__hash__",
            [](const IdRange& r) { return std::hash<std::uint64_t>{}((std::uint64_t{r.first} << 32) | r.last); });
  py::implicitly_convertible<py::tuple, IdRange>();
  m.attr("DEFAULT_GROUP_RANGE") = default_group_range;
  m.attr("DEFAULT_METER_RANGE") = default_meter_range;
  m.attr("COOKIE_MAGIC") = cookie_magic;
  m.attr("COOKIE_MAGIC_MASK") = cookie_magic_mask;

  py::class_<TranslatorOptions> opts(m, "TranslatorOptions", "Knobs of the translation (keyword arguments).");
  opts.def(py::init([](std::uint8_t table, std::uint16_t priority, Forwarding forwarding, std::uint8_t resubmit_table,
                       std::uint16_t first_mark, std::uint16_t last_mark, std::size_t max_composed,
                       bool rewrite_destination, std::uint8_t copy_table, Arg<IdRange> groups,
                       Arg<IdRange> meters, std::map<std::string, std::uint16_t> assigned_marks) {
             return TranslatorOptions{table,     priority,     forwarding,          resubmit_table, first_mark,
                                      last_mark, max_composed, rewrite_destination, copy_table,     groups.value,
                                      meters.value, std::move(assigned_marks)};
           }),
           py::kw_only(), py::arg("table") = 0, py::arg("priority") = 40000, py::arg("forwarding") = Forwarding::path,
           py::arg("resubmit_table") = 1, py::arg("first_mark") = 3000, py::arg("last_mark") = 4094,
           py::arg("max_composed") = 4096, py::arg("rewrite_destination") = false, py::arg("copy_table") = 250,
           py::arg("groups") = default_group_range, py::arg("meters") = default_meter_range,
           py::arg("assigned_marks") = std::map<std::string, std::uint16_t>{},
           "Every option has the C++ default; pass the ones to change by keyword.")
      .def_readwrite("table", &TranslatorOptions::table, "Table that holds every libvtap rule.")
      .def_readwrite("priority", &TranslatorOptions::priority, "Priority of transit/recovery rules and least-specific taps.")
      .def_readwrite("forwarding", &TranslatorOptions::forwarding, "Forwarding of the original packet.")
      .def_readwrite("resubmit_table", &TranslatorOptions::resubmit_table, "Target table of Forwarding.resubmit.")
      .def_readwrite("first_mark", &TranslatorOptions::first_mark, "First VLAN ID reserved for marking copies.")
      .def_readwrite("last_mark", &TranslatorOptions::last_mark, "Last reserved VLAN ID (inclusive).")
      .def_readwrite("max_composed", &TranslatorOptions::max_composed, "Bound on composed rules per sender port.")
      .def_readwrite("rewrite_destination", &TranslatorOptions::rewrite_destination,
                     "Paper mode: copies carry the monitor's MAC in transit.")
      .def_readwrite("copy_table", &TranslatorOptions::copy_table, "Table of the rules that meter and truncate copies.")
      .def_readwrite("assigned_marks", &TranslatorOptions::assigned_marks,
                     "Marks assigned elsewhere (a cluster's Mark table), by stream name (Translator.marks()).")
      .def_property(
          "groups", [](const TranslatorOptions& o) { return o.groups; },
          [](TranslatorOptions& o, Arg<IdRange> r) { o.groups = r.value; },
          "Group ids libvtap owns (an IdRange; set from an IdRange or a (first, last) tuple).")
      .def_property(
          "meters", [](const TranslatorOptions& o) { return o.meters; },
          [](TranslatorOptions& o, Arg<IdRange> r) { o.meters = r.value; },
          "Meter ids libvtap owns (an IdRange; set from an IdRange or a (first, last) tuple).")
      .def("__repr__", [](const TranslatorOptions& o) {
        return "TranslatorOptions(table=" + std::to_string(o.table) + ", priority=" + std::to_string(o.priority) +
               ", forwarding=Forwarding." + to_string(o.forwarding) + ", resubmit_table=" +
               std::to_string(o.resubmit_table) + ", first_mark=" + std::to_string(o.first_mark) +
               ", last_mark=" + std::to_string(o.last_mark) + ", max_composed=" + std::to_string(o.max_composed) +
               ", rewrite_destination=" + (o.rewrite_destination ? "True" : "False") +
               ", copy_table=" + std::to_string(o.copy_table) + ", groups=(" + std::to_string(o.groups.first) + ", " +
               std::to_string(o.groups.last) + "), meters=(" + std::to_string(o.meters.first) + ", " +
               std::to_string(o.meters.last) + "))";
      });

  py::class_<Translator> tr(m, "Translator",
                            "Holds a topology and the installed policies, and keeps every switch's plan up to date "
                            "as policies are added and removed (incrementally).");
  tr.def(py::init([](Topology topology, std::optional<TranslatorOptions> options) {
           return Translator(std::move(topology), options.value_or(TranslatorOptions{}));
         }),
         py::arg("topology"), py::arg("options") = py::none(), "Translator(topology, options=TranslatorOptions()).")
      .def("add", &Translator::add, py::arg("policy"),
           "Validates `policy` against the topology and adds it; returns its id (id 0 gets the next free one). "
           "Raises PolicyError naming the policy and field; then nothing has changed.")
      .def("remove", &Translator::remove, py::arg("id"), "Removes policy `id`. Raises Error when it is unknown.")
      .def(
          "find",
          [](const Translator& t, std::uint32_t id) -> std::optional<TapPolicy> {
            const auto* p = t.find(id);
            return p ? std::optional<TapPolicy>(*p) : std::nullopt;
          },
          py::arg("id"), "A copy of policy `id`, or None.")
      .def(
          "policies",
          [](const Translator& t) {
            std::vector<TapPolicy> out;
            for (const auto* p : t.policies()) out.push_back(*p);
            return out;
          },
          "Copies of every policy, by id.")
      .def_property_readonly("topology", &Translator::topology, "The Topology (read-only view).")
      .def_property_readonly("options", &Translator::options, "The TranslatorOptions (read-only view).")
      .def("plan", [](const Translator& t) { return t.plan(); }, "The Plan: the state of every switch that needs rules.")
      .def(
          "plan", [](const Translator& t, const std::string& switch_name) { return t.plan(switch_name); },
          py::arg("switch_name"), "The SwitchPlan of one switch (empty when it needs none).")
      .def(
          "tap_match",
          [](const Translator& t, const TapPolicy& p, bool reverse) { return t.tap_match(p, reverse); },
          py::arg("policy"), py::kw_only(), py::arg("reverse") = false,
          "The Match of the policy's rewriting rule at its sender port (or its reverse direction). Raises PolicyError.")
      .def("marks", &Translator::marks,
           "The mark (VLAN ID) of every stream in use, by stream name: the monitor (or 'tunnel IP KEY'), then "
           "',restore=MAC', ',max_len=N', ',meter=N' when the copies have them.")
      .def("__len__", [](const Translator& t) { return t.policies().size(); }, "Number of policies.");

  m.def(
      "translate",
      [](const Topology& topology, const std::vector<TapPolicy>& policies, std::optional<TranslatorOptions> options) {
        return translate(topology, policies, options.value_or(TranslatorOptions{}));
      },
      py::arg("topology"), py::arg("policies"), py::arg("options") = py::none(),
      "Translates a whole policy set at once into a Plan. Raises PolicyError like Translator.add.");

  py::class_<Verdict> verdict(m, "Verdict", "Whether one direction of one policy copies the packet.");
  verdict.def_readonly("policy_id", &Verdict::policy_id, "Policy id.")
      .def_readonly("reverse", &Verdict::reverse, "True for the receiver-to-sender direction.")
      .def_readonly("matches", &Verdict::matches, "True when the packet is copied.")
      .def_readonly("reason", &Verdict::reason, "Why not, e.g. 'needs tp_dst=80, packet has tp_dst=22'.")
      .def("__repr__", [](const Verdict& v) {
        return "<Verdict policy " + std::to_string(v.policy_id) + (v.reverse ? " reverse" : "") +
               (v.matches ? ": copies" : ": " + v.reason) + ">";
      });
  py::class_<CopyTarget> copy(m, "CopyTarget", "One copy destination and the policies that ask for it.");
  copy.def_readonly("target", &CopyTarget::target, "Monitor host name, or 'tunnel 192.0.2.9 key 7'.")
      .def_readonly("policy_ids", &CopyTarget::policy_ids, "The policies that ask for this copy.")
      .def("__repr__", [](const CopyTarget& c) { return "<CopyTarget " + c.target + ">"; });
  equality(copy);
  copy.attr("__hash__") = py::none();
  py::class_<Explanation> ex(m, "Explanation", "The answer of explain(): who gets a copy of a packet, and why.");
  ex.def_readonly("sender", &Explanation::sender, "Host the packet comes from.")
      .def_readonly("packet", &Explanation::packet, "The packet, with in_port filled in.")
      .def_readonly("verdicts", &Explanation::verdicts, "One Verdict per policy direction, by policy id.")
      .def_readonly("copies", &Explanation::copies, "One CopyTarget per monitor that gets a copy.")
      .def_readonly("delivered", &Explanation::delivered, "Copy destinations reached by walking the plan.")
      .def("__str__", &Explanation::to_string, "Human-readable report, one line per fact (as vtapctl explain).")
      .def("__repr__", [](const Explanation& e) {
        return "<Explanation of a packet from " + e.sender + ": " + std::to_string(e.copies.size()) + " copies>";
      });
  m.def(
      "explain", [](const Translator& t, const Arg<Match>& packet) { return explain(t, packet.value); },
      py::arg("translator"), py::arg("packet"),
      "Explains `packet` (a Match or its text, exact fields; it must name its sender by dl_src, nw_src or "
      "ipv6_src). Raises Error when the sender cannot be found.");
  m.def(
      "simulate",
      [](const Topology& topology, const Plan& plan, const Host& sender, const Arg<Match>& packet,
         std::uint8_t table) { return simulate(topology, plan, sender, packet.value, table);
      },
      py::arg("topology"), py::arg("plan"), py::arg("sender"), py::arg("packet"), py::kw_only(),
      py::arg("table") = 0,
      "Copy destinations of `packet` sent by Host `sender`, found by executing `plan` hop by hop as OVS would.");
}

}  // namespace vtap::python
