"""
Native bindings of libvtap: TAP policies compiled to OpenFlow state for Open vSwitch.
"""
from __future__ import annotations
import builtins
import collections.abc
import enum
import ipaddress
import os
import types
import typing
class Error(RuntimeError):
    """
    Root of every error libvtap raises; the message is the C++ what().
    """
class ParseError(Error):
    """
    Text that does not parse: an address, a match, a JSON document, a target.
    """
class TopologyError(Error):
    """
    An inconsistent topology: duplicate names, dangling links, unknown switch.
    """
class PolicyError(Error):
    """
    A policy that cannot be translated. Attributes: policy_id (int) and field (the offending field, e.g. 'sender'); both are also part of the message.
    """
    policy_id: int
    field: str
class TransportError(Error):
    """
    A connection failed, timed out, or the switch refused a message. Attributes: error_code (int), category (str), failed_index (int or None).
    """
    error_code: int
    category: str
    failed_index: int | None
class OwnershipError(Error):
    """
    A group or meter id in libvtap's range is used by another controller's flow or group; nothing was sent.
    """
__all__: list = ['Bucket', 'BundleResult', 'COOKIE_MAGIC', 'COOKIE_MAGIC_MASK', 'ChangeSet', 'CopyTarget', 'Counter', 'DEFAULT_GROUP_RANGE', 'DEFAULT_METER_RANGE', 'Delivery', 'Direction', 'Endpoint', 'Error', 'EventKind', 'Explanation', 'Field', 'FlowRule', 'FlowStats', 'Forwarding', 'GroupAction', 'GroupEntry', 'GroupStats', 'GroupType', 'HAVE_OPENVSWITCH', 'Hop', 'Host', 'HostChange', 'IdRange', 'InstallReport', 'Ipv4Address', 'Ipv4Prefix', 'Ipv6Address', 'Ipv6Prefix', 'Link', 'MacAddress', 'Match', 'MeterAction', 'MeterEntry', 'OutputAction', 'OwnershipError', 'PORT_CONTROLLER', 'PORT_IN_PORT', 'PORT_LOCAL', 'PORT_NORMAL', 'ParseError', 'Plan', 'PolicyError', 'PolicyStats', 'PopVlanAction', 'PortRef', 'PushVlanAction', 'RateLimit', 'ResubmitAction', 'RuleKind', 'Service', 'ServiceEvent', 'SetFieldAction', 'Switch', 'SwitchConnection', 'SwitchPlan', 'SwitchStats', 'TapPolicy', 'Topology', 'TopologyError', 'TopologyWatch', 'Translator', 'TranslatorOptions', 'Transport', 'TransportError', 'TunnelTarget', 'Verdict', 'Version', 'diff', 'discover_topology', 'explain', 'field_by_name', 'field_name', 'host_changes', 'load_policies', 'load_topology', 'make_cookie', 'native_transport', 'openvswitch_transport', 'policies_from_json', 'policies_to_json', 'simulate', 'translate']
class MacAddress:
    """
    A 48-bit Ethernet address, printed as 'fa:00:00:00:00:01'.
    """
    def __copy__(self) -> MacAddress:
        ...
    def __deepcopy__(self, memo: dict[int, typing.Any]) -> MacAddress:
        ...
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __ge__(self, arg0: MacAddress) -> bool:
        ...
    def __getstate__(self) -> str:
        ...
    def __gt__(self, arg0: MacAddress) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __init__(self, text: str) -> None:
        """
        Parses 'xx:xx:xx:xx:xx:xx' (hex, case-insensitive). Raises ParseError.
        """
    def __le__(self, arg0: MacAddress) -> bool:
        ...
    def __lt__(self, arg0: MacAddress) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, arg0: str) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def is_multicast(self) -> bool:
        """
        True for group (multicast and broadcast) addresses.
        """
    @property
    def packed(self) -> bytes:
        """
        The six bytes of the address.
        """
class Ipv4Address:
    """
    An IPv4 address, printed as dotted quad '10.1.1.1'.
    """
    def __copy__(self) -> Ipv4Address:
        ...
    def __deepcopy__(self, memo: dict[int, typing.Any]) -> Ipv4Address:
        ...
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __ge__(self, arg0: Ipv4Address) -> bool:
        ...
    def __getstate__(self) -> str:
        ...
    def __gt__(self, arg0: Ipv4Address) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    @typing.overload
    def __init__(self, text: str) -> None:
        """
        Parses dotted-quad text. Raises ParseError.
        """
    @typing.overload
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        The address whose host-order value is `value`.
        """
    @typing.overload
    def __init__(self, address: ipaddress.IPv4Address) -> None:
        """
        The same address as an ipaddress.IPv4Address (or IPv4Interface).
        """
    def __int__(self) -> int:
        ...
    def __le__(self, arg0: Ipv4Address) -> bool:
        ...
    def __lt__(self, arg0: Ipv4Address) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, arg0: str) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def packed(self) -> bytes:
        """
        The four bytes of the address, network order.
        """
    @property
    def value(self) -> int:
        """
        The address as an int (host byte order).
        """
class Ipv6Address:
    """
    An IPv6 address, printed in RFC 5952 canonical form.
    """
    def __copy__(self) -> Ipv6Address:
        ...
    def __deepcopy__(self, memo: dict[int, typing.Any]) -> Ipv6Address:
        ...
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __ge__(self, arg0: Ipv6Address) -> bool:
        ...
    def __getstate__(self) -> str:
        ...
    def __gt__(self, arg0: Ipv6Address) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    @typing.overload
    def __init__(self, text: str) -> None:
        """
        Parses RFC 4291 text ('::' compression, embedded IPv4 tail). Raises ParseError.
        """
    @typing.overload
    def __init__(self, address: ipaddress.IPv6Address) -> None:
        """
        The same address as an ipaddress.IPv6Address (or IPv6Interface; a scope id is dropped).
        """
    def __le__(self, arg0: Ipv6Address) -> bool:
        ...
    def __lt__(self, arg0: Ipv6Address) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, arg0: str) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def packed(self) -> bytes:
        """
        The sixteen bytes of the address, network order.
        """
class Ipv4Prefix:
    """
    An IPv4 network '10.0.0.0/8': an address with its host bits cleared.
    """
    def __contains__(self, address: Ipv4Address | ipaddress.IPv4Address | str) -> bool:
        """
        True when `address` is in the network.
        """
    def __copy__(self) -> Ipv4Prefix:
        ...
    def __deepcopy__(self, memo: dict[int, typing.Any]) -> Ipv4Prefix:
        ...
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __ge__(self, arg0: Ipv4Prefix) -> bool:
        ...
    def __getstate__(self) -> str:
        ...
    def __gt__(self, arg0: Ipv4Prefix) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    @typing.overload
    def __init__(self, text: str) -> None:
        """
        Parses '10.0.0.0/8'; a bare address is a /32. Raises ParseError.
        """
    @typing.overload
    def __init__(self, address: Ipv4Address | ipaddress.IPv4Address | str, length: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        Clears the host bits of `address`. Raises ParseError when length > 32.
        """
    @typing.overload
    def __init__(self, network: ipaddress.IPv4Network) -> None:
        """
        The same network as an ipaddress.IPv4Network.
        """
    def __le__(self, arg0: Ipv4Prefix) -> bool:
        ...
    def __lt__(self, arg0: Ipv4Prefix) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, arg0: str) -> None:
        ...
    def __str__(self) -> str:
        ...
    def contains(self, address: Ipv4Address | ipaddress.IPv4Address | str) -> bool:
        """
        True when `address` is in the network.
        """
    @property
    def address(self) -> Ipv4Address:
        """
        The network address.
        """
    @property
    def length(self) -> int:
        """
        The prefix length, 0..32.
        """
    @property
    def mask(self) -> int:
        """
        The netmask as an int.
        """
class Ipv6Prefix:
    """
    An IPv6 network '2001:db8::/32': an address with its host bits cleared.
    """
    def __contains__(self, address: Ipv6Address | ipaddress.IPv6Address | str) -> bool:
        """
        True when `address` is in the network.
        """
    def __copy__(self) -> Ipv6Prefix:
        ...
    def __deepcopy__(self, memo: dict[int, typing.Any]) -> Ipv6Prefix:
        ...
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __ge__(self, arg0: Ipv6Prefix) -> bool:
        ...
    def __getstate__(self) -> str:
        ...
    def __gt__(self, arg0: Ipv6Prefix) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    @typing.overload
    def __init__(self, text: str) -> None:
        """
        Parses '2001:db8::/32'; a bare address is a /128. Raises ParseError.
        """
    @typing.overload
    def __init__(self, address: Ipv6Address | ipaddress.IPv6Address | str, length: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        Clears the host bits of `address`. Raises ParseError when length > 128.
        """
    @typing.overload
    def __init__(self, network: ipaddress.IPv6Network) -> None:
        """
        The same network as an ipaddress.IPv6Network.
        """
    def __le__(self, arg0: Ipv6Prefix) -> bool:
        ...
    def __lt__(self, arg0: Ipv6Prefix) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, arg0: str) -> None:
        ...
    def __str__(self) -> str:
        ...
    def contains(self, address: Ipv6Address | ipaddress.IPv6Address | str) -> bool:
        """
        True when `address` is in the network.
        """
    @property
    def address(self) -> Ipv6Address:
        """
        The network address.
        """
    @property
    def length(self) -> int:
        """
        The prefix length, 0..128.
        """
class Field(enum.Enum):
    """
    The match fields libvtap understands, named as in ovs-fields(7) (OXM names).
    """
    arp_op = ...
    arp_sha = ...
    arp_spa = ...
    arp_tha = ...
    arp_tpa = ...
    eth_dst = ...
    eth_src = ...
    eth_type = ...
    icmpv4_code = ...
    icmpv4_type = ...
    icmpv6_code = ...
    icmpv6_type = ...
    in_port = ...
    ip_dscp = ...
    ip_ecn = ...
    ip_proto = ...
    ipv4_dst = ...
    ipv4_src = ...
    ipv6_dst = ...
    ipv6_label = ...
    ipv6_src = ...
    metadata = ...
    mpls_bos = ...
    mpls_label = ...
    mpls_tc = ...
    nd_sll = ...
    nd_target = ...
    nd_tll = ...
    sctp_dst = ...
    sctp_src = ...
    tcp_dst = ...
    tcp_flags = ...
    tcp_src = ...
    tun_dst = ...
    tun_erspan_idx = ...
    tun_erspan_ver = ...
    tun_id = ...
    udp_dst = ...
    udp_src = ...
    vlan_pcp = ...
    vlan_vid = ...
class Match:
    """
    A set of OpenFlow match fields in ovs-fields(7) syntax, e.g. Match('tcp,tp_dst=80').
    
    Absent fields are wildcards; Match() and Match('*') match every packet. Values are
    canonical, so equal matches compare, hash and print equal. Prerequisites are
    checked, never added: Match('tp_dst=80') raises ParseError.
    """
    def __contains__(self, field: Field) -> bool:
        """
        True when `field` is constrained.
        """
    def __copy__(self) -> Match:
        ...
    def __deepcopy__(self, memo: dict[int, typing.Any]) -> Match:
        ...
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> str:
        ...
    def __hash__(self) -> int:
        ...
    def __init__(self, text: str = '') -> None:
        """
        Parses comma-separated 'name=value[/mask]' pairs and the protocol shorthands (ip, tcp, udp6, arp, ...). Raises ParseError naming the field and what is wrong.
        """
    def __len__(self) -> int:
        """
        Number of constrained fields.
        """
    def __lt__(self, arg0: Match) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, arg0: str) -> None:
        ...
    def __str__(self) -> str:
        """
        Canonical ovs-ofctl text; '' for the match-everything Match.
        """
    def check_prerequisites(self) -> None:
        """
        Raises ParseError naming the first field whose prerequisite is missing.
        """
    def exact_value(self, field: Field) -> int | None:
        """
        The value of `field` as an int when present with a full mask (fields up to 64 bits), else None.
        """
    def has(self, field: Field) -> bool:
        """
        True when `field` is constrained (not a wildcard).
        """
    def intersect(self, other: Match | str) -> Match | None:
        """
        The match of the packets both match, or None when no packet matches both.
        """
    def is_exact(self, field: Field) -> bool:
        """
        True when `field` is present with a full mask.
        """
    def is_subset_of(self, other: Match | str) -> bool:
        """
        True when every packet this matches is also matched by `other`.
        """
    def overlaps(self, other: Match | str) -> bool:
        """
        True when at least one packet is matched by both.
        """
    def reversed(self) -> Match:
        """
        The same match in the opposite direction: source fields swapped with destination fields.
        """
    def without(self, field: Field) -> Match:
        """
        A copy with `field` removed (made a wildcard).
        """
    @property
    def empty(self) -> bool:
        """
        True for the match-everything Match.
        """
    @property
    def fields(self) -> list[Field]:
        """
        The constrained fields, in print order.
        """
class OutputAction:
    """
    Output to `port`; with `max_len`, the copy is truncated to that many bytes.
    """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def max_len(self) -> int | None:
        """
        Truncation length, or None.
        """
    @property
    def port(self) -> int:
        """
        OpenFlow port number.
        """
class GroupAction:
    """
    Apply group `group_id`.
    """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def group_id(self) -> int:
        """
        The group applied.
        """
class SetFieldAction:
    """
    Set `field` to `value` (OFPAT_SET_FIELD).
    """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def field(self) -> Field:
        """
        The field written.
        """
    @property
    def value(self) -> bytes:
        """
        The value written, big-endian bytes of the field's width.
        """
class PushVlanAction:
    """
    Push a VLAN header with TPID `ethertype`.
    """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def ethertype(self) -> int:
        """
        TPID: 0x8100 or 0x88a8.
        """
class PopVlanAction:
    """
    Pop the outermost VLAN header.
    """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
class MeterAction:
    """
    Pass through meter `meter_id`.
    """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def meter_id(self) -> int:
        """
        The meter applied.
        """
class ResubmitAction:
    """
    Continue in `table` of this switch (resubmit(,T)).
    """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def table(self) -> int:
        """
        Target table.
        """
class FlowRule:
    """
    One flow table entry (read-only); str() is an ovs-ofctl add-flows line.
    """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __lt__(self, arg0: FlowRule) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def actions(self) -> list[OutputAction | GroupAction | SetFieldAction | PushVlanAction | PopVlanAction | MeterAction | ResubmitAction]:
        """
        The actions applied, in order (empty: drop).
        """
    @property
    def cookie(self) -> int:
        """
        Cookie (libvtap's owner mark, kind and policy).
        """
    @property
    def match(self) -> Match:
        """
        The rule's Match.
        """
    @property
    def priority(self) -> int:
        """
        Priority.
        """
    @property
    def table(self) -> int:
        """
        Table id.
        """
class GroupType(enum.Enum):
    """
    OpenFlow group types.
    """
    all = ...
    fast_failover = ...
    indirect = ...
    select = ...
class Bucket:
    """
    One group bucket with its explicit OpenFlow 1.5 bucket id (read-only).
    """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def actions(self) -> list[OutputAction | GroupAction | SetFieldAction | PushVlanAction | PopVlanAction | MeterAction | ResubmitAction]:
        """
        The bucket's actions.
        """
    @property
    def bucket_id(self) -> int:
        """
        Bucket id.
        """
class GroupEntry:
    """
    One group table entry (read-only); str() is an ovs-ofctl add-groups line.
    """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __lt__(self, arg0: GroupEntry) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def buckets(self) -> list[Bucket]:
        """
        The buckets, in order.
        """
    @property
    def group_id(self) -> int:
        """
        Group id.
        """
    @property
    def type(self) -> GroupType:
        """
        GroupType.
        """
class MeterEntry:
    """
    A meter with one drop band (read-only); str() is an ovs-ofctl add-meters line.
    """
    class Unit(enum.Enum):
        """
        Unit of a meter's rate.
        """
        kbps = ...
        pktps = ...
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    def __lt__(self, arg0: MeterEntry) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def burst(self) -> int:
        """
        Burst size; 0 means none set.
        """
    @property
    def meter_id(self) -> int:
        """
        Meter id.
        """
    @property
    def rate(self) -> int:
        """
        Rate of the drop band.
        """
    @property
    def unit(self) -> MeterEntry.Unit:
        """
        MeterEntry.Unit.
        """
class SwitchPlan:
    """
    The OpenFlow state one switch must hold (read-only): meters, groups and flows, each sorted.
    str() gives the lines of the three lists, meters first, as vtapctl compile writes them.
    """
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __init__(self) -> None:
        """
        An empty plan (install it to remove every libvtap rule from a switch).
        """
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def empty(self) -> bool:
        """
        True when the switch needs no state.
        """
    @property
    def flows(self) -> list[FlowRule]:
        """
        FlowRule list.
        """
    @property
    def groups(self) -> list[GroupEntry]:
        """
        GroupEntry list.
        """
    @property
    def meters(self) -> list[MeterEntry]:
        """
        MeterEntry list.
        """
class Plan:
    """
    The state of every switch that needs any (read-only), by switch name.
    """
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    def __contains__(self, switch_name: str) -> bool:
        ...
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getitem__(self, switch_name: str) -> SwitchPlan:
        """
        The SwitchPlan of `switch_name`; KeyError when it needs nothing.
        """
    def __init__(self) -> None:
        """
        An empty plan.
        """
    def __iter__(self) -> collections.abc.Iterator[str]:
        """
        Iterates over the switch names, sorted.
        """
    def __len__(self) -> int:
        """
        Number of switches that need state.
        """
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def switches(self) -> dict[str, SwitchPlan]:
        """
        dict of switch name to SwitchPlan.
        """
class Direction(enum.Enum):
    """
    Which traffic between sender and receiver is copied.
    """
    both = ...
    forward = ...
class Delivery(enum.Enum):
    """
    How copies travel to the monitor.
    """
    marked = ...
    tunnel = ...
class Endpoint:
    """
    A host named by MAC and/or IP address, or (receivers only) any host.
    """
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    @staticmethod
    def any_host() -> Endpoint:
        """
        The '*' endpoint: any destination (receiver only).
        """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __init__(self, *, mac: MacAddress | str | None = None, ip: Ipv4Address | Ipv6Address | ipaddress.IPv4Address | ipaddress.IPv6Address | str | None = None, any: bool = False) -> None:
        """
        Endpoint(mac='fa:00:00:00:00:01', ip='10.1.1.1'); mac and ip take str or address objects, ip also ipaddress objects.
        """
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        """
        '*', or the MAC and/or IP joined by a space.
        """
    def to_json(self) -> str:
        """
        The endpoint as JSON text.
        """
    @property
    def any(self) -> bool:
        """
        True for '*' (any destination).
        """
    @any.setter
    def any(self, arg0: bool) -> None:
        ...
    @property
    def ip(self) -> Ipv4Address | Ipv6Address | None:
        """
        Ipv4Address, Ipv6Address or None.
        """
    @ip.setter
    def ip(self, arg1: Ipv4Address | Ipv6Address | ipaddress.IPv4Address | ipaddress.IPv6Address | str | None) -> None:
        ...
    @property
    def mac(self) -> MacAddress | None:
        """
        MacAddress or None.
        """
    @mac.setter
    def mac(self, arg1: MacAddress | str | None) -> None:
        ...
class RateLimit:
    """
    A limit on the copies of one policy; production traffic is never limited.
    """
    class Unit(enum.Enum):
        """
        Unit of a rate limit.
        """
        kbps = ...
        pktps = ...
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __init__(self, *, rate: typing.SupportsInt | typing.SupportsIndex, unit: RateLimit.Unit = RateLimit.Unit.pktps, burst: typing.SupportsInt | typing.SupportsIndex = 0) -> None:
        """
        RateLimit(rate=1000, unit=RateLimit.Unit.pktps, burst=0); burst 0 = switch default.
        """
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def burst(self) -> int:
        """
        Burst size; 0 = switch default.
        """
    @burst.setter
    def burst(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def rate(self) -> int:
        """
        Rate (> 0).
        """
    @rate.setter
    def rate(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def unit(self) -> RateLimit.Unit:
        """
        RateLimit.Unit.
        """
    @unit.setter
    def unit(self, arg0: RateLimit.Unit) -> None:
        ...
class TunnelTarget:
    """
    Where tunnel-delivered copies go.
    """
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __init__(self, *, remote_ip: Ipv4Address | ipaddress.IPv4Address | str, key: typing.SupportsInt | typing.SupportsIndex = 0, type: str = '', erspan_index: typing.SupportsInt | typing.SupportsIndex | None = None) -> None:
        """
        TunnelTarget(remote_ip='192.0.2.9', key=7, type='', erspan_index=None): the collector's underlay IPv4 address and VNI/key; type: the switch's tunnel port of that OVS type ('' = its tunnel_port).
        """
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def erspan_index(self) -> int | None:
        """
        ERSPAN v1 index (type 'erspan'), or None.
        """
    @erspan_index.setter
    def erspan_index(self, arg0: typing.SupportsInt | typing.SupportsIndex | None) -> None:
        ...
    @property
    def key(self) -> int:
        """
        VXLAN VNI / GRE key / ERSPAN session id (set as tun_id).
        """
    @key.setter
    def key(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def remote_ip(self) -> Ipv4Address:
        """
        Collector's underlay address (set as tun_dst).
        """
    @remote_ip.setter
    def remote_ip(self, arg1: Ipv4Address | ipaddress.IPv4Address | str) -> None:
        ...
    @property
    def type(self) -> str:
        """
        OVS tunnel type of the port to use ('' = the switch's tunnel_port).
        """
    @type.setter
    def type(self, arg0: str) -> None:
        ...
class TapPolicy:
    """
    One TAP policy: copy the traffic from sender to receiver that matches filter to monitor. sender, receiver and monitor are mandatory identifier fields.
    """
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    @staticmethod
    def from_json(text: str) -> TapPolicy:
        """
        Reads one policy from JSON text. Raises ParseError.
        """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __init__(self, *, id: typing.SupportsInt | typing.SupportsIndex = 0, name: str = '', tenant: str = '', sender: Endpoint = ..., receiver: Endpoint = ..., monitor: Endpoint = ..., filter: Match | str | None = None, direction: Direction = Direction.forward, truncate: typing.SupportsInt | typing.SupportsIndex | None = None, rate_limit: RateLimit | None = None, delivery: Delivery = Delivery.marked, tunnel: TunnelTarget | None = None) -> None:
        """
        Keyword arguments only. filter takes a Match or its text ('tcp,tp_dst=80'); id 0 lets the Translator assign the next free id.
        """
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def to_json(self, indent: typing.SupportsInt | typing.SupportsIndex | None = None) -> str:
        """
        The policy as JSON text (one entry of a policy file).
        """
    @property
    def delivery(self) -> Delivery:
        """
        Delivery.
        """
    @delivery.setter
    def delivery(self, arg0: Delivery) -> None:
        ...
    @property
    def direction(self) -> Direction:
        """
        Direction.
        """
    @direction.setter
    def direction(self, arg0: Direction) -> None:
        ...
    @property
    def filter(self) -> Match:
        """
        Match (set from a Match or its text; None: match everything).
        """
    @filter.setter
    def filter(self, arg1: Match | str | None) -> None:
        ...
    @property
    def id(self) -> int:
        """
        1..0x7fffffff; 0 = assign the next free id.
        """
    @id.setter
    def id(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def monitor(self) -> Endpoint:
        """
        Endpoint that gets the copies (unused with Delivery.tunnel).
        """
    @monitor.setter
    def monitor(self, arg0: Endpoint) -> None:
        ...
    @property
    def name(self) -> str:
        """
        Free-form name.
        """
    @name.setter
    def name(self, arg0: str) -> None:
        ...
    @property
    def rate_limit(self) -> RateLimit | None:
        """
        RateLimit or None.
        """
    @rate_limit.setter
    def rate_limit(self, arg0: RateLimit | None) -> None:
        ...
    @property
    def receiver(self) -> Endpoint:
        """
        Endpoint the traffic goes to; may be Endpoint.any_host().
        """
    @receiver.setter
    def receiver(self, arg0: Endpoint) -> None:
        ...
    @property
    def sender(self) -> Endpoint:
        """
        Endpoint whose traffic is copied.
        """
    @sender.setter
    def sender(self, arg0: Endpoint) -> None:
        ...
    @property
    def tenant(self) -> str:
        """
        Tenant the policy belongs to.
        """
    @tenant.setter
    def tenant(self, arg0: str) -> None:
        ...
    @property
    def truncate(self) -> int | None:
        """
        Copies cut to this many bytes (>= 14), or None.
        """
    @truncate.setter
    def truncate(self, arg0: typing.SupportsInt | typing.SupportsIndex | None) -> None:
        ...
    @property
    def tunnel(self) -> TunnelTarget | None:
        """
        TunnelTarget (required with Delivery.tunnel) or None.
        """
    @tunnel.setter
    def tunnel(self, arg0: TunnelTarget | None) -> None:
        ...
class Switch:
    """
    One OpenFlow switch (an OVS bridge).
    """
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __init__(self, *, name: str, dpid: typing.SupportsInt | typing.SupportsIndex, tunnel_port: typing.SupportsInt | typing.SupportsIndex | None = None, tunnel_ports: collections.abc.Mapping[str, typing.SupportsInt | typing.SupportsIndex] = {}) -> None:
        """
        Switch(name='s1', dpid=1, tunnel_port=None, tunnel_ports={}); tunnel_port: a port with options:remote_ip=flow; tunnel_ports: such ports by OVS type ('gre', 'erspan', 'vxlan', 'geneve').
        """
    def __lt__(self, arg0: Switch) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def dpid(self) -> int:
        """
        Datapath id.
        """
    @dpid.setter
    def dpid(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def name(self) -> str:
        """
        Switch (bridge) name.
        """
    @name.setter
    def name(self, arg0: str) -> None:
        ...
    @property
    def tunnel_port(self) -> int | None:
        """
        Tunnel port for Delivery.tunnel copies, or None.
        """
    @tunnel_port.setter
    def tunnel_port(self, arg0: typing.SupportsInt | typing.SupportsIndex | None) -> None:
        ...
    @property
    def tunnel_ports(self) -> dict[str, int]:
        """
        Tunnel ports by OVS type, for TunnelTarget.type.
        """
    @tunnel_ports.setter
    def tunnel_ports(self, arg0: collections.abc.Mapping[str, typing.SupportsInt | typing.SupportsIndex]) -> None:
        ...
class Host:
    """
    A VM (or any end host) attached to one switch port.
    """
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __init__(self, *, name: str, mac: MacAddress | str, ip: Ipv4Address | ipaddress.IPv4Address | str | None = None, ipv6: Ipv6Address | ipaddress.IPv6Address | str | None = None, switch_name: str, port: typing.SupportsInt | typing.SupportsIndex, tenant: str = '') -> None:
        """
        Host(name='vm1', mac='fa:00:00:00:00:01', ip='10.1.1.1', switch_name='s1', port=1, tenant='t1').
        """
    def __lt__(self, arg0: Host) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def ip(self) -> Ipv4Address | None:
        """
        Ipv4Address or None.
        """
    @ip.setter
    def ip(self, arg1: Ipv4Address | ipaddress.IPv4Address | str | None) -> None:
        ...
    @property
    def ipv6(self) -> Ipv6Address | None:
        """
        Ipv6Address or None.
        """
    @ipv6.setter
    def ipv6(self, arg1: Ipv6Address | ipaddress.IPv6Address | str | None) -> None:
        ...
    @property
    def mac(self) -> MacAddress:
        """
        MacAddress.
        """
    @mac.setter
    def mac(self, arg1: MacAddress | str) -> None:
        ...
    @property
    def name(self) -> str:
        """
        Host name.
        """
    @name.setter
    def name(self, arg1: str) -> None:
        ...
    @property
    def port(self) -> int:
        """
        OpenFlow port number on that switch.
        """
    @port.setter
    def port(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def switch_name(self) -> str:
        """
        Switch the host is attached to.
        """
    @switch_name.setter
    def switch_name(self, arg0: str) -> None:
        ...
    @property
    def tenant(self) -> str:
        """
        Tenant.
        """
    @tenant.setter
    def tenant(self, arg0: str) -> None:
        ...
class PortRef:
    """
    One end of a link: a switch port.
    """
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __init__(self, *, switch_name: str, port: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        PortRef(switch_name='s1', port=12).
        """
    def __lt__(self, arg0: PortRef) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def port(self) -> int:
        """
        Port number.
        """
    @port.setter
    def port(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def switch_name(self) -> str:
        """
        Switch name.
        """
    @switch_name.setter
    def switch_name(self, arg0: str) -> None:
        ...
class Link:
    """
    A bidirectional link between two switch ports (patch port pair or tunnel).
    """
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    def __eq__(self, other: typing.Any) -> bool:
        ...
    @typing.overload
    def __init__(self, *, a: PortRef, b: PortRef) -> None:
        """
        Link(a=PortRef(...), b=PortRef(...)).
        """
    @typing.overload
    def __init__(self, *, a: tuple[str, typing.SupportsInt | typing.SupportsIndex], b: tuple[str, typing.SupportsInt | typing.SupportsIndex]) -> None:
        """
        Link(a=('s1', 12), b=('s2', 21)).
        """
    def __lt__(self, arg0: Link) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def a(self) -> PortRef:
        """
        One end.
        """
    @a.setter
    def a(self, arg0: PortRef) -> None:
        ...
    @property
    def b(self) -> PortRef:
        """
        The other end.
        """
    @b.setter
    def b(self, arg0: PortRef) -> None:
        ...
class Hop:
    """
    One switch on a path: where the packet enters and leaves it.
    """
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __lt__(self, arg0: Hop) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def in_port(self) -> int:
        """
        Port the packet arrives on.
        """
    @property
    def out_port(self) -> int:
        """
        Port it leaves by.
        """
    @property
    def switch_name(self) -> str:
        """
        Switch name.
        """
class Topology:
    """
    Switches, hosts and links, validated as they are added (TopologyError on a duplicate or dangling entry).
    """
    @staticmethod
    def from_json(text: str) -> Topology:
        """
        Reads a topology from the JSON text of a topology file. Raises ParseError/TopologyError.
        """
    @staticmethod
    def load(path: os.PathLike | str | bytes) -> Topology:
        """
        Reads a topology file. Raises ParseError/TopologyError naming the file and the entry.
        """
    def __init__(self, *, switches: collections.abc.Sequence[Switch] = [], hosts: collections.abc.Sequence[Host] = [], links: collections.abc.Sequence[Link] = []) -> None:
        """
        Topology(switches=[...], hosts=[...], links=[...]); switches are added first, then hosts, then links.
        """
    def __repr__(self) -> str:
        ...
    def add_host(self, host: Host) -> None:
        """
        Adds a host. Raises TopologyError.
        """
    def add_link(self, link: Link) -> None:
        """
        Adds a link. Raises TopologyError.
        """
    def add_switch(self, switch: Switch) -> None:
        """
        Adds a switch. Raises TopologyError.
        """
    def find_host(self, name: str) -> Host | None:
        """
        The host called `name`, or None.
        """
    def find_host_by_ip(self, ip: Ipv4Address | Ipv6Address | ipaddress.IPv4Address | ipaddress.IPv6Address | str) -> Host | None:
        """
        The host with IP `ip` (v4 or v6), or None.
        """
    def find_host_by_mac(self, mac: MacAddress | str) -> Host | None:
        """
        The host with MAC `mac`, or None.
        """
    def find_switch(self, name: str) -> Switch | None:
        """
        The switch called `name`, or None.
        """
    def next_hops(self, to_switch: str) -> dict[str, int]:
        """
        For every switch that can reach `to_switch`, the port toward it.
        """
    def path(self, from_switch: str, from_port: typing.SupportsInt | typing.SupportsIndex, to: Host) -> list[Hop]:
        """
        The hops from port `from_port` on `from_switch` to Host `to` (fewest links, deterministic); empty when unreachable.
        """
    def to_json(self, indent: typing.SupportsInt | typing.SupportsIndex | None = None) -> str:
        """
        The topology as JSON text (the topology file format).
        """
    @property
    def hosts(self) -> list[Host]:
        """
        The hosts, in the order added.
        """
    @property
    def links(self) -> list[Link]:
        """
        The links, in the order added.
        """
    @property
    def switches(self) -> list[Switch]:
        """
        The switches, in the order added.
        """
class Forwarding(enum.Enum):
    """
    How the original packet leaves the sender's edge switch.
    """
    normal = ...
    path = ...
    resubmit = ...
class RuleKind(enum.Enum):
    """
    The kind of rule a cookie marks (bits 40..47).
    """
    composed = ...
    copy = ...
    recovery = ...
    tap = ...
    transit = ...
class IdRange:
    """
    An inclusive range of group or meter ids libvtap owns.
    """
    @staticmethod
    def parse(text: str) -> IdRange:
        """
        Parses `FIRST-LAST` (decimal or 0x hex); raises ParseError.
        """
    def __contains__(self, id: typing.SupportsInt | typing.SupportsIndex) -> bool:
        """
        Whether `id` lies in the range.
        """
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __hash__(self) -> int:
        ...
    @typing.overload
    def __init__(self, first: typing.SupportsInt | typing.SupportsIndex, last: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @typing.overload
    def __init__(self, range: tuple[typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex]) -> None:
        """
        From a (first, last) tuple.
        """
    def __len__(self) -> int:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def first(self) -> int:
        """
        The first id of the range.
        """
    @property
    def last(self) -> int:
        """
        The last id of the range (inclusive).
        """
class TranslatorOptions:
    """
    Knobs of the translation (keyword arguments).
    """
    def __init__(self, *, table: typing.SupportsInt | typing.SupportsIndex = 0, priority: typing.SupportsInt | typing.SupportsIndex = 40000, forwarding: Forwarding = Forwarding.path, resubmit_table: typing.SupportsInt | typing.SupportsIndex = 1, first_mark: typing.SupportsInt | typing.SupportsIndex = 3000, last_mark: typing.SupportsInt | typing.SupportsIndex = 4094, max_composed: typing.SupportsInt | typing.SupportsIndex = 4096, rewrite_destination: bool = False, copy_table: typing.SupportsInt | typing.SupportsIndex = 250, groups: IdRange | tuple[typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex] = IdRange(3758096384, 4026531839), meters: IdRange | tuple[typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex] = IdRange(3758096384, 4026531839), assigned_marks: collections.abc.Mapping[str, typing.SupportsInt | typing.SupportsIndex] = {}) -> None:
        """
        Every option has the C++ default; pass the ones to change by keyword.
        """
    def __repr__(self) -> str:
        ...
    @property
    def assigned_marks(self) -> dict[str, int]:
        """
        Marks assigned elsewhere (a cluster's Mark table), by stream name (Translator.marks()).
        """
    @assigned_marks.setter
    def assigned_marks(self, arg0: collections.abc.Mapping[str, typing.SupportsInt | typing.SupportsIndex]) -> None:
        ...
    @property
    def copy_table(self) -> int:
        """
        Table of the rules that meter and truncate copies.
        """
    @copy_table.setter
    def copy_table(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def first_mark(self) -> int:
        """
        First VLAN ID reserved for marking copies.
        """
    @first_mark.setter
    def first_mark(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def forwarding(self) -> Forwarding:
        """
        Forwarding of the original packet.
        """
    @forwarding.setter
    def forwarding(self, arg0: Forwarding) -> None:
        ...
    @property
    def groups(self) -> IdRange:
        """
        Group ids libvtap owns (an IdRange; set from an IdRange or a (first, last) tuple).
        """
    @groups.setter
    def groups(self, arg1: IdRange | tuple[typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex]) -> None:
        ...
    @property
    def last_mark(self) -> int:
        """
        Last reserved VLAN ID (inclusive).
        """
    @last_mark.setter
    def last_mark(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def max_composed(self) -> int:
        """
        Bound on composed rules per sender port.
        """
    @max_composed.setter
    def max_composed(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def meters(self) -> IdRange:
        """
        Meter ids libvtap owns (an IdRange; set from an IdRange or a (first, last) tuple).
        """
    @meters.setter
    def meters(self, arg1: IdRange | tuple[typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex]) -> None:
        ...
    @property
    def priority(self) -> int:
        """
        Priority of transit/recovery rules and least-specific taps.
        """
    @priority.setter
    def priority(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def resubmit_table(self) -> int:
        """
        Target table of Forwarding.resubmit.
        """
    @resubmit_table.setter
    def resubmit_table(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def rewrite_destination(self) -> bool:
        """
        Paper mode: copies carry the monitor's MAC in transit.
        """
    @rewrite_destination.setter
    def rewrite_destination(self, arg0: bool) -> None:
        ...
    @property
    def table(self) -> int:
        """
        Table that holds every libvtap rule.
        """
    @table.setter
    def table(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class Translator:
    """
    Holds a topology and the installed policies, and keeps every switch's plan up to date as policies are added and removed (incrementally).
    """
    def __init__(self, topology: Topology, options: TranslatorOptions | None = None) -> None:
        """
        Translator(topology, options=TranslatorOptions()).
        """
    def __len__(self) -> int:
        """
        Number of policies.
        """
    def add(self, policy: TapPolicy) -> int:
        """
        Validates `policy` against the topology and adds it; returns its id (id 0 gets the next free one). Raises PolicyError naming the policy and field; then nothing has changed.
        """
    def find(self, id: typing.SupportsInt | typing.SupportsIndex) -> TapPolicy | None:
        """
        A copy of policy `id`, or None.
        """
    def marks(self) -> dict[str, int]:
        """
        The mark (VLAN ID) of every stream in use, by stream name: the monitor (or 'tunnel IP KEY'), then ',restore=MAC', ',max_len=N', ',meter=N' when the copies have them.
        """
    @typing.overload
    def plan(self) -> Plan:
        """
        The Plan: the state of every switch that needs rules.
        """
    @typing.overload
    def plan(self, switch_name: str) -> SwitchPlan:
        """
        The SwitchPlan of one switch (empty when it needs none).
        """
    def policies(self) -> list[TapPolicy]:
        """
        Copies of every policy, by id.
        """
    def remove(self, id: typing.SupportsInt | typing.SupportsIndex) -> None:
        """
        Removes policy `id`. Raises Error when it is unknown.
        """
    def tap_match(self, policy: TapPolicy, *, reverse: bool = False) -> Match:
        """
        The Match of the policy's rewriting rule at its sender port (or its reverse direction). Raises PolicyError.
        """
    @property
    def options(self) -> TranslatorOptions:
        """
        The TranslatorOptions (read-only view).
        """
    @property
    def topology(self) -> Topology:
        """
        The Topology (read-only view).
        """
class Verdict:
    """
    Whether one direction of one policy copies the packet.
    """
    def __repr__(self) -> str:
        ...
    @property
    def matches(self) -> bool:
        """
        True when the packet is copied.
        """
    @property
    def policy_id(self) -> int:
        """
        Policy id.
        """
    @property
    def reason(self) -> str:
        """
        Why not, e.g. 'needs tp_dst=80, packet has tp_dst=22'.
        """
    @property
    def reverse(self) -> bool:
        """
        True for the receiver-to-sender direction.
        """
class CopyTarget:
    """
    One copy destination and the policies that ask for it.
    """
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def policy_ids(self) -> list[int]:
        """
        The policies that ask for this copy.
        """
    @property
    def target(self) -> str:
        """
        Monitor host name, or 'tunnel 192.0.2.9 key 7'.
        """
class Explanation:
    """
    The answer of explain(): who gets a copy of a packet, and why.
    """
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        """
        Human-readable report, one line per fact (as vtapctl explain).
        """
    @property
    def copies(self) -> list[CopyTarget]:
        """
        One CopyTarget per monitor that gets a copy.
        """
    @property
    def delivered(self) -> list[str]:
        """
        Copy destinations reached by walking the plan.
        """
    @property
    def packet(self) -> Match:
        """
        The packet, with in_port filled in.
        """
    @property
    def sender(self) -> str:
        """
        Host the packet comes from.
        """
    @property
    def verdicts(self) -> list[Verdict]:
        """
        One Verdict per policy direction, by policy id.
        """
class Version(enum.Enum):
    """
    OpenFlow protocol versions libvtap speaks.
    """
    of13 = ...
    of14 = ...
    of15 = ...
class ChangeSet:
    """
    The minimal change that turns one switch's libvtap state into a plan.
    """
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def empty(self) -> bool:
        """
        True when nothing changes.
        """
    @property
    def flows_added(self) -> int:
        """
        Number of flows added.
        """
    @property
    def flows_deleted(self) -> int:
        """
        Number of flows deleted.
        """
    @property
    def flows_modified(self) -> int:
        """
        Number of flows modified.
        """
    @property
    def groups_added(self) -> int:
        """
        Number of groups added.
        """
    @property
    def groups_deleted(self) -> int:
        """
        Number of groups deleted.
        """
    @property
    def groups_modified(self) -> int:
        """
        Number of groups modified.
        """
    @property
    def messages(self) -> int:
        """
        Number of OpenFlow messages the change sends (meter mods and bundled flow/group mods).
        """
    @property
    def meters_added(self) -> int:
        """
        Number of meters added.
        """
    @property
    def meters_deleted(self) -> int:
        """
        Number of meters deleted.
        """
    @property
    def meters_modified(self) -> int:
        """
        Number of meters modified.
        """
    @property
    def summary(self) -> str:
        """
        e.g. '+2 flows, ~1 group, -1 meter' or 'no change'.
        """
class BundleResult:
    """
    What a bundle operation did.
    """
    def __repr__(self) -> str:
        ...
    @property
    def bundles(self) -> int:
        """
        Bundles committed.
        """
    @property
    def failed_index(self) -> int | None:
        """
        Index of the refused message, or None.
        """
    @property
    def messages(self) -> int:
        """
        Messages sent in bundles.
        """
class InstallReport:
    """
    What SwitchConnection.install() did.
    """
    def __repr__(self) -> str:
        ...
    def __str__(self) -> str:
        ...
    @property
    def bundle(self) -> BundleResult:
        """
        The BundleResult of applying it.
        """
    @property
    def change(self) -> ChangeSet:
        """
        The ChangeSet that was applied.
        """
    @property
    def summary(self) -> str:
        """
        e.g. '+2 flows, +1 group' or 'no change'.
        """
class FlowStats:
    """
    Counters of one libvtap flow on a switch.
    """
    def __repr__(self) -> str:
        ...
    @property
    def byte_count(self) -> int:
        """
        Bytes matched.
        """
    @property
    def cookie(self) -> int:
        """
        The rule's cookie.
        """
    @property
    def duration_nsec(self) -> int:
        """
        Nanoseconds beyond duration_sec.
        """
    @property
    def duration_sec(self) -> int:
        """
        Seconds since the rule was added.
        """
    @property
    def flags(self) -> int:
        """
        OFPFF_* flags of the flow.
        """
    @property
    def hard_timeout(self) -> int:
        """
        Hard timeout in seconds (0: none).
        """
    @property
    def idle_timeout(self) -> int:
        """
        Idle timeout in seconds (0: none).
        """
    @property
    def match(self) -> Match:
        """
        The rule's Match.
        """
    @property
    def packet_count(self) -> int:
        """
        Packets matched.
        """
    @property
    def priority(self) -> int:
        """
        The rule's priority.
        """
    @property
    def rule(self) -> FlowRule:
        """
        The FlowRule as the switch holds it.
        """
    @property
    def table(self) -> int:
        """
        The rule's table.
        """
class Counter:
    """
    A packet and byte counter.
    """
    def __repr__(self) -> str:
        ...
    @property
    def byte_count(self) -> int:
        """
        Bytes.
        """
    @property
    def packet_count(self) -> int:
        """
        Packets.
        """
class GroupStats:
    """
    Counters of one group: in total and per bucket.
    """
    def __repr__(self) -> str:
        ...
    @property
    def buckets(self) -> list[Counter]:
        """
        One Counter per bucket, in bucket order.
        """
    @property
    def byte_count(self) -> int:
        """
        Bytes through the group.
        """
    @property
    def group_id(self) -> int:
        """
        Group id.
        """
    @property
    def packet_count(self) -> int:
        """
        Packets through the group.
        """
    @property
    def ref_count(self) -> int:
        """
        Flows using the group.
        """
    @property
    def total(self) -> Counter:
        """
        Counter of the whole group.
        """
class SwitchStats:
    """
    Counters of libvtap's rules on one switch.
    """
    def __repr__(self) -> str:
        ...
    @property
    def flows(self) -> list[FlowStats]:
        """
        FlowStats of every libvtap-owned flow (by cookie).
        """
    @property
    def groups(self) -> list[GroupStats]:
        """
        GroupStats of the groups those flows use.
        """
class SwitchConnection:
    """
    One open OpenFlow connection to one switch. Calls block without holding the GIL; calls from
    several threads are served one at a time. A context manager: `with transport.connect(...) as c:`
    closes it.
    """
    def __enter__(self) -> SwitchConnection:
        """
        Returns the connection itself.
        """
    def __exit__(self, exc_type: type[BaseException] | None, exc_value: BaseException | None, traceback: types.TracebackType | None) -> bool:
        """
        Closes the connection.
        """
    def __repr__(self) -> str:
        ...
    def apply(self, change: ChangeSet) -> BundleResult:
        """
        Sends a ChangeSet and waits for the switch to confirm it; returns a BundleResult. Raises TransportError on a refusal (the refused bundle is discarded; install() undoes the rest).
        """
    def close(self) -> None:
        """
        Closes the connection; a call in progress in another thread fails with TransportError.
        """
    def install(self, plan: SwitchPlan, *, groups: IdRange | tuple[typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex] = IdRange(3758096384, 4026531839), meters: IdRange | tuple[typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex] = IdRange(3758096384, 4026531839)) -> InstallReport:
        """
        Brings the switch to SwitchPlan `plan` with the minimal change and returns an InstallReport. Raises OwnershipError, sending nothing, when a group or meter it would change is used by another controller. If the switch refuses any part, everything already sent is undone and TransportError is raised.
        """
    def read_state(self, *, groups: IdRange | tuple[typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex] = IdRange(3758096384, 4026531839), meters: IdRange | tuple[typing.SupportsInt | typing.SupportsIndex, typing.SupportsInt | typing.SupportsIndex] = IdRange(3758096384, 4026531839)) -> SwitchPlan:
        """
        libvtap's state on the switch as a SwitchPlan: its flows (by cookie) and every group and meter in the `groups` and `meters` ranges.
        """
    def stats(self) -> SwitchStats:
        """
        SwitchStats: packet/byte counters of libvtap's flows and of their groups' buckets.
        """
    @property
    def datapath_id(self) -> int:
        """
        The switch's datapath id.
        """
    @property
    def is_open(self) -> bool:
        """
        False once the switch went away or close() ran.
        """
    @property
    def target(self) -> str:
        """
        The target it was opened with.
        """
    @property
    def version(self) -> Version:
        """
        The negotiated OpenFlow Version.
        """
class Transport:
    """
    Opens SwitchConnections; one Transport may serve many switches (and threads) at once.
    """
    def __repr__(self) -> str:
        ...
    def connect(self, target: str, *, versions: str | collections.abc.Sequence[Version | str] | None = None, echo_interval: typing.SupportsFloat | typing.SupportsIndex = 5.0, echo_misses: typing.SupportsInt | typing.SupportsIndex = 3, request_timeout: typing.SupportsFloat | typing.SupportsIndex = 30.0, bundle_chunk: typing.SupportsInt | typing.SupportsIndex = 5000, ssl_private_key: os.PathLike | str | bytes | None = None, ssl_certificate: os.PathLike | str | bytes | None = None, ssl_ca_certificate: os.PathLike | str | bytes | None = None, protocols: str | collections.abc.Sequence[Version | str] | None = None, timeout: typing.SupportsFloat | typing.SupportsIndex | None = None) -> SwitchConnection:
        """
        Connects to `target` ('tcp:IP[:PORT]', 'ssl:IP[:PORT]', 'unix:PATH'), negotiates the version and reads the datapath id; returns a SwitchConnection. Raises ParseError for a bad target, TransportError when the switch cannot be reached or shares no version.
        
        Connection options (keyword-only): versions (Version members or names, or 'OpenFlow13,OpenFlow15'; default: every version libvtap speaks), echo_interval (seconds between keepalive echos, 0: none), echo_misses (unanswered echos before the switch counts as gone), request_timeout (seconds), bundle_chunk (most messages in one bundle), ssl_private_key, ssl_certificate, ssl_ca_certificate (PEM files for ssl: targets). protocols and timeout are older names of versions and request_timeout.
        """
    @property
    def name(self) -> str:
        """
        'native' or 'openvswitch'.
        """
class EventKind(enum.Enum):
    """
    What a ServiceEvent reports.
    """
    applied = ...
    drift_repaired = ...
    failed = ...
    policy_active = ...
    policy_inactive = ...
    switch_connected = ...
    switch_disconnected = ...
    topology_changed = ...
class ServiceEvent:
    """
    Something the Service did or saw.
    """
    def __repr__(self) -> str:
        ...
    @property
    def detail(self) -> str:
        """
        What changed, or the error.
        """
    @property
    def kind(self) -> EventKind:
        """
        EventKind.
        """
    @property
    def policy_id(self) -> int | None:
        """
        The policy it is about, or None.
        """
    @property
    def switch_name(self) -> str:
        """
        The switch it is about, or ''.
        """
    @property
    def tenant(self) -> str:
        """
        The tenant of that policy, or ''.
        """
class PolicyStats:
    """
    Counters of one policy, summed over its rewriting rules.
    """
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def bytes(self) -> int:
        """
        Bytes that matched.
        """
    @property
    def copies(self) -> int:
        """
        Copies sent toward its monitor (or tunnel).
        """
    @property
    def copy_bytes(self) -> int:
        """
        Bytes of those copies.
        """
    @property
    def packets(self) -> int:
        """
        Packets that matched the policy's rules.
        """
class Service:
    """
    The vTAP application: owns the policy set and keeps every switch holding exactly its plan.
    Changes are validated (topology, tenant) before anything is sent, then applied
    make-before-break across switches, all or nothing. `tenant=None` acts as an administrator;
    a tenant sees and changes only its own policies. A context manager: stop() on exit.
    """
    def __enter__(self) -> Service:
        """
        Returns the service itself.
        """
    def __exit__(self, exc_type: type[BaseException] | None, exc_value: BaseException | None, traceback: types.TracebackType | None) -> bool:
        """
        Calls stop().
        """
    def __init__(self, topology: Topology, targets: collections.abc.Mapping[str, str], transport: Transport | None = None, *, options: TranslatorOptions | None = None, state_file: os.PathLike | str | bytes | None = None, versions: str | collections.abc.Sequence[Version | str] | None = None, echo_interval: typing.SupportsFloat | typing.SupportsIndex = 5.0, echo_misses: typing.SupportsInt | typing.SupportsIndex = 3, request_timeout: typing.SupportsFloat | typing.SupportsIndex = 30.0, bundle_chunk: typing.SupportsInt | typing.SupportsIndex = 5000, ssl_private_key: os.PathLike | str | bytes | None = None, ssl_certificate: os.PathLike | str | bytes | None = None, ssl_ca_certificate: os.PathLike | str | bytes | None = None, protocols: str | collections.abc.Sequence[Version | str] | None = None, timeout: typing.SupportsFloat | typing.SupportsIndex | None = None) -> None:
        """
        topology: Topology; targets: {switch name: 'unix:PATH' | 'tcp:IP[:PORT]' | 'ssl:IP[:PORT]'};
        transport: a Transport (default: native_transport()); options: TranslatorOptions;
        state_file: JSON policy file kept across restarts (loaded now, replaced atomically on change).
        Connects nothing until reconcile(), start() or a change.
        
        Connection options (keyword-only): versions (Version members or names, or 'OpenFlow13,OpenFlow15'; default: every version libvtap speaks), echo_interval (seconds between keepalive echos, 0: none), echo_misses (unanswered echos before the switch counts as gone), request_timeout (seconds), bundle_chunk (most messages in one bundle), ssl_private_key, ssl_certificate, ssl_ca_certificate (PEM files for ssl: targets). protocols and timeout are older names of versions and request_timeout.
        """
    def add(self, policy: TapPolicy, *, tenant: str | None = None) -> int:
        """
        Adds and applies a TapPolicy (id 0: the next id); returns its id. Raises PolicyError or TransportError;
        then nothing changed anywhere.
        """
    def get(self, id: typing.SupportsInt | typing.SupportsIndex, *, tenant: str | None = None) -> TapPolicy | None:
        """
        The policy, or None.
        """
    def list(self, *, tenant: str | None = None) -> builtins.list[TapPolicy]:
        """
        The caller's policies, by id.
        """
    def modify(self, policy: TapPolicy, *, tenant: str | None = None) -> None:
        """
        Replaces the policy with the same id.
        """
    def on_event(self, handler: collections.abc.Callable[[ServiceEvent], typing.Any]) -> None:
        """
        Calls handler(ServiceEvent) for every event (from the thread that caused it); its result is ignored.
        """
    def plan(self) -> Plan:
        """
        The Plan every switch should hold now.
        """
    def reconcile(self) -> int:
        """
        Connects what is not connected, repairs what differs from the plan; returns modifications sent.
        """
    def remove(self, id: typing.SupportsInt | typing.SupportsIndex, *, tenant: str | None = None) -> None:
        """
        Removes a policy and its rules.
        """
    def set_topology(self, topology: Topology, targets: collections.abc.Mapping[str, str] = {}) -> None:
        """
        Replaces the topology (a VM moved, a switch or monitor came or went) and moves every switch.
        """
    def start(self, interval: typing.SupportsFloat | typing.SupportsIndex = 1.0) -> None:
        """
        Runs reconcile() every `interval` seconds on a background thread.
        """
    def stats(self) -> dict[int, PolicyStats]:
        """
        {policy id: PolicyStats} from the reachable switches' flow and group-bucket counters.
        """
    def stop(self) -> None:
        """
        Stops the background thread.
        """
    @property
    def connected(self) -> builtins.list[str]:
        """
        Names of the switches with an open connection.
        """
    @property
    def inactive(self) -> builtins.list[int]:
        """
        Ids of policies that do not resolve in the topology.
        """
class HostChange:
    """
    A VM interface that appeared, disappeared or moved between two topologies.
    """
    class Kind(enum.Enum):
        """
        What happened to a host.
        """
        added = ...
        moved = ...
        removed = ...
    __hash__: typing.ClassVar[None]  # type: ignore[assignment]
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def before(self) -> Host | None:
        """
        For Kind.moved: the Host as it was; else None.
        """
    @property
    def host(self) -> Host:
        """
        The Host as it is now (as it was, for Kind.removed).
        """
    @property
    def kind(self) -> HostChange.Kind:
        """
        HostChange.Kind.
        """
class TopologyWatch:
    """
    Keeps replicas of Open vSwitch databases open and reports VM interfaces added, removed or moved:
    poll() processes what the databases sent and calls on_change(topology, changes) when a host
    changed. poll() waits without holding the GIL; calls from several threads are served one at a
    time. Only in builds with libopenvswitch (vtap.HAVE_OPENVSWITCH); elsewhere raises Error.
    """
    def __init__(self, databases: collections.abc.Sequence[str], on_change: collections.abc.Callable[[Topology, list[HostChange]], None], *, timeout: typing.SupportsFloat | typing.SupportsIndex = 10.0) -> None:
        """
        databases: OVSDB remotes as for discover_topology(); on_change(topology, changes): called by poll() with the new Topology and the list of HostChanges, its result ignored. Connects and reads the first topology (.topology), waiting at most `timeout` seconds for each database; raises like discover_topology().
        """
    def __repr__(self) -> str:
        ...
    def poll(self, timeout: typing.SupportsFloat | typing.SupportsIndex) -> bool:
        """
        Processes what the databases sent, waiting at most `timeout` seconds for something; when a host was added, removed or moved, calls on_change and returns True, else returns False. An exception raised by on_change propagates (the watch's topology has moved on already).
        """
    @property
    def databases(self) -> list[str]:
        """
        The databases watched.
        """
    @property
    def topology(self) -> Topology:
        """
        The Topology as of the last poll() (or the constructor).
        """
def diff(have: SwitchPlan, want: SwitchPlan) -> ChangeSet:
    """
    The minimal ChangeSet from SwitchPlan `have` to SwitchPlan `want` (pure, no switch involved).
    """
def discover_topology(databases: collections.abc.Sequence[str], *, timeout: typing.SupportsFloat | typing.SupportsIndex = 10.0) -> Topology:
    """
    Reads the Topology from Open vSwitch databases, one per compute node ('unix:/run/openvswitch/db.sock', 'tcp:IP:6640'): bridges become switches, interfaces with external_ids:attached-mac and an ofport hosts (named by external_ids:iface-id), patch ports and tunnels between nodes links. With several databases switches are named NODE.BRIDGE. timeout: seconds to wait for each database. Raises Error naming the database that does not answer, TopologyError when what it holds is not a valid topology. Only in builds with libopenvswitch (vtap.HAVE_OPENVSWITCH); elsewhere raises Error.
    """
def explain(translator: Translator, packet: Match | str) -> Explanation:
    """
    Explains `packet` (a Match or its text, exact fields; it must name its sender by dl_src, nw_src or ipv6_src). Raises Error when the sender cannot be found.
    """
def field_by_name(name: str) -> Field | None:
    """
    The Field called `name` (OVS name or alias, e.g. 'dl_src' or 'eth_src'), or None.
    """
def field_name(field: Field) -> str:
    """
    The name a Match prints for `field` (OVS's preferred name, e.g. 'dl_src').
    """
def host_changes(before: Topology, after: Topology) -> list[HostChange]:
    """
    The HostChanges from Topology `before` to Topology `after`: hosts added, removed or moved, by name, sorted by name. Only in builds with libopenvswitch (vtap.HAVE_OPENVSWITCH); elsewhere raises Error.
    """
def load_policies(path: os.PathLike | str | bytes) -> list[TapPolicy]:
    """
    Reads a policy file ({'policies': [...]}). Raises ParseError naming the file, policy and key.
    """
def load_topology(path: os.PathLike | str | bytes) -> Topology:
    """
    Reads a topology file (same as Topology.load).
    """
def make_cookie(kind: RuleKind, id: typing.SupportsInt | typing.SupportsIndex) -> int:
    """
    The cookie libvtap gives a rule of `kind` for policy (or mark, or policy-set hash) `id`.
    """
def native_transport() -> Transport:
    """
    The native transport: libvtap's own OpenFlow codec over Boost.Asio, on one I/O thread it owns.
    """
def openvswitch_transport() -> Transport:
    """
    The libopenvswitch transport: Open vSwitch's own vconn and ofputil encoders, installing the same state as native_transport(). Only in builds with libopenvswitch (vtap.HAVE_OPENVSWITCH).
    """
def policies_from_json(text: str) -> list[TapPolicy]:
    """
    Reads policies from the JSON text of a policy file. Raises ParseError.
    """
def policies_to_json(policies: collections.abc.Sequence[TapPolicy], *, indent: typing.SupportsInt | typing.SupportsIndex | None = None) -> str:
    """
    The JSON text of a policy file holding `policies`.
    """
def simulate(topology: Topology, plan: Plan, sender: Host, packet: Match | str, *, table: typing.SupportsInt | typing.SupportsIndex = 0) -> list[str]:
    """
    Copy destinations of `packet` sent by Host `sender`, found by executing `plan` hop by hop as OVS would.
    """
def translate(topology: Topology, policies: collections.abc.Sequence[TapPolicy], options: TranslatorOptions | None = None) -> Plan:
    """
    Translates a whole policy set at once into a Plan. Raises PolicyError like Translator.add.
    """
COOKIE_MAGIC: int = 8535447193773932544
COOKIE_MAGIC_MASK: int = 18446462598732840960
DEFAULT_GROUP_RANGE: IdRange
DEFAULT_METER_RANGE: IdRange
HAVE_OPENVSWITCH: bool = True
PORT_CONTROLLER: int = 4294967293
PORT_IN_PORT: int = 4294967288
PORT_LOCAL: int = 4294967294
PORT_NORMAL: int = 4294967290
__version__: str = '0.2.0'
