// Field and Match: OpenFlow matches in the ovs-fields(7) text syntax.

#include <functional>
#include <string>

#include <pybind11/native_enum.h>
#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include <libvtap/model/match.hpp>

#include "bindings.hpp"
#include "convert.hpp"

namespace vtap::python {

void init_match(py::module_& m) {
  py::native_enum<Field> field(m, "Field", "enum.Enum",
                               "The match fields libvtap understands, named as in ovs-fields(7) (OXM names).");
  for (std::size_t i = 0; i < field_count; ++i) {
    const auto f = static_cast<Field>(i);
    // The enum member names are the C++ enumerator names, which field_info() does not
    // hold (it has the OVS names); keep the two lists in step here.
    static constexpr const char* names[] = {
        "in_port",     "tun_id",      "tun_dst",     "metadata",   "eth_src",    "eth_dst",     "eth_type",
        "vlan_vid",    "vlan_pcp",    "mpls_label",  "mpls_tc",    "mpls_bos",   "ipv4_src",    "ipv4_dst",
        "ipv6_src",    "ipv6_dst",    "ipv6_label",  "ip_proto",   "ip_dscp",    "ip_ecn",      "arp_op",
        "arp_spa",     "arp_tpa",     "arp_sha",     "arp_tha",    "tcp_src",    "tcp_dst",     "tcp_flags",
        "udp_src",     "udp_dst",     "sctp_src",    "sctp_dst",   "icmpv4_type", "icmpv4_code", "icmpv6_type",
        "icmpv6_code", "nd_target",   "nd_sll",      "nd_tll",     "tun_erspan_idx", "tun_erspan_ver"};
    static_assert(std::size(names) == field_count);
    field.value(names[i], f);
  }
  field.finalize();

  m.def(
      "field_by_name",
      [](const std::string& name) { return field_by_name(name); }, py::arg("name"),
      "The Field called `name` (OVS name or alias, e.g. 'dl_src' or 'eth_src'), or None.");
  m.def(
      "field_name", [](Field f) { return std::string(field_info(f).name); }, py::arg("field"),
      "The name a Match prints for `field` (OVS's preferred name, e.g. 'dl_src').");

  py::class_<Match> match(m, "Match",
                          "A set of OpenFlow match fields in ovs-fields(7) syntax, e.g. Match('tcp,tp_dst=80').\n\n"
                          "Absent fields are wildcards; Match() and Match('*') match every packet. Values are\n"
                          "canonical, so equal matches compare, hash and print equal. Prerequisites are\n"
                          "checked, never added: Match('tp_dst=80') raises ParseError.");
  match
      .def(py::init([](const std::string& text) { return Match::parse(text); }), py::arg("text") = "",
           "Parses comma-separated 'name=value[/mask]' pairs and the protocol shorthands (ip, tcp, "
           "udp6, arp, ...). Raises ParseError naming the field and what is wrong.")
      .def("__str__", &Match::to_string, "Canonical ovs-ofctl text; '' for the match-everything Match.")
      .def("__repr__", [](const Match& x) { return text_repr("Match", x.to_string()); })
      .def(py::self < py::self)
      .def("__hash__", [](const Match& x) { return std::hash<Match>{}(x); })
      .def("__copy__", [](const Match& x) { return x; })
      .def("__deepcopy__", [](const Match& x, const Memo&) { return x; }, py::arg("memo"))
      .def(py::pickle([](const Match& x) { return x.to_string(); },
                      [](const std::string& s) { return Match::parse(s); }))
      .def("intersect", [](const Match& x, const Arg<Match>& other) { return x.intersect(other.value); },
           py::arg("other"), "The match of the packets both match, or None when no packet matches both.")
      .def("is_subset_of", [](const Match& x, const Arg<Match>& other) { return x.is_subset_of(other.value); },
           py::arg("other"), "True when every packet this matches is also matched by `other`.")
      .def("overlaps", [](const Match& x, const Arg<Match>& other) { return x.overlaps(other.value); },
           py::arg("other"), "True when at least one packet is matched by both.")
      .def("reversed", [](const Match& x) { return reversed(x); },
           "The same match in the opposite direction: source fields swapped with destination fields.")
      .def("has", &Match::has, py::arg("field"), "True when `field` is constrained (not a wildcard).")
      .def("__contains__", &Match::has, py::arg("field"), "True when `field` is constrained.")
      .def("is_exact", &Match::is_exact, py::arg("field"), "True when `field` is present with a full mask.")
      .def("exact_value", &Match::exact_uint, py::arg("field"),
           "The value of `field` as an int when present with a full mask (fields up to 64 bits), else None.")
      .def_property_readonly(
          "fields",
          [](const Match& x) {
            std::vector<Field> out;
            for (const auto& e : x.entries()) out.push_back(e.field);
            return out;
          },
          "The constrained fields, in print order.")
      .def_property_readonly("empty", &Match::empty, "True for the match-everything Match.")
      .def("__len__", [](const Match& x) { return x.entries().size(); }, "Number of constrained fields.")
      .def("check_prerequisites", &Match::check_prerequisites,
           "Raises ParseError naming the first field whose prerequisite is missing.")
      .def(
          "without", [](const Match& x, Field f) { return Match(x).erase(f); }, py::arg("field"),
          "A copy with `field` removed (made a wildcard).");
  equality(match);
  py::implicitly_convertible<py::str, Match>();
}

}  // namespace vtap::python
