"""libvtap for Python: TAP policies compiled to OpenFlow rules for Open vSwitch.

The native bindings live in :mod:`vtap._core`; this package re-exports them::

    import vtap
    topo = vtap.Topology.load("topology.json")
    tr = vtap.Translator(topo)
    for p in vtap.load_policies("policies.json"):
        tr.add(p)
    plan = tr.plan()
    with vtap.native_transport().connect("unix:/run/openvswitch/s1.mgmt") as s1:
        print(s1.install(plan["s1"]).summary)

    with vtap.Service(topo, {"s1": "unix:/run/openvswitch/s1.mgmt"}, state_file="policies.json") as svc:
        svc.on_event(print)
        svc.start(interval=1.0)                  # reconcile now and every second
        pid = svc.add(vtap.TapPolicy(sender=..., receiver=..., monitor=..., filter="tcp,tp_dst=80"))
        print(svc.stats()[pid].copies)

:func:`discover_topology` and :class:`TopologyWatch` read and follow the topology in Open
vSwitch's databases (builds with libopenvswitch).

:mod:`vtap.testbed` starts private user-space Open vSwitch compute nodes with VMs as
network namespaces, for experiments and end-to-end tests.

Errors are raised as :class:`vtap.Error` and its subclasses :class:`ParseError`,
:class:`TopologyError`, :class:`PolicyError`, :class:`TransportError` and :class:`OwnershipError`, with libvtap's
messages.
"""

from __future__ import annotations

import os
import shutil
import sysconfig

from . import _core
from ._core import (
    COOKIE_MAGIC,
    COOKIE_MAGIC_MASK,
    DEFAULT_GROUP_RANGE,
    DEFAULT_METER_RANGE,
    PORT_CONTROLLER,
    PORT_IN_PORT,
    PORT_LOCAL,
    PORT_NORMAL,
    Bucket,
    BundleResult,
    ChangeSet,
    CopyTarget,
    Counter,
    Delivery,
    Direction,
    Endpoint,
    Error,
    EventKind,
    Explanation,
    Field,
    FlowRule,
    FlowStats,
    Forwarding,
    GroupAction,
    GroupEntry,
    GroupStats,
    GroupType,
    Hop,
    Host,
    HostChange,
    IdRange,
    InstallReport,
    Ipv4Address,
    Ipv4Prefix,
    Ipv6Address,
    Ipv6Prefix,
    Link,
    MacAddress,
    Match,
    MeterAction,
    MeterEntry,
    OutputAction,
    OwnershipError,
    ParseError,
    Plan,
    PolicyError,
    PolicyStats,
    PopVlanAction,
    PortRef,
    PushVlanAction,
    RateLimit,
    ResubmitAction,
    RuleKind,
    Service,
    ServiceEvent,
    SetFieldAction,
    Switch,
    SwitchConnection,
    SwitchPlan,
    SwitchStats,
    TapPolicy,
    Topology,
    TopologyError,
    TopologyWatch,
    Translator,
    TranslatorOptions,
    Transport,
    TransportError,
    TunnelTarget,
    Verdict,
    Version,
    diff,
    discover_topology,
    explain,
    field_by_name,
    field_name,
    host_changes,
    load_policies,
    load_topology,
    make_cookie,
    native_transport,
    policies_from_json,
    policies_to_json,
    simulate,
    translate,
)

__version__: str = _core.__version__
HAVE_OPENVSWITCH: bool = _core.HAVE_OPENVSWITCH
if HAVE_OPENVSWITCH:
    from ._core import openvswitch_transport  # noqa: F401

__all__ = [
    "__version__",
    "vtapctl_path",
    # errors
    "Error", "ParseError", "TopologyError", "PolicyError", "TransportError",
    "OwnershipError",
    # addresses and matches
    "MacAddress", "Ipv4Address", "Ipv6Address", "Ipv4Prefix", "Ipv6Prefix",
    "Field", "Match", "field_by_name", "field_name",
    # flows and plans
    "OutputAction", "GroupAction", "SetFieldAction", "PushVlanAction", "PopVlanAction",
    "MeterAction", "ResubmitAction", "FlowRule", "GroupType", "Bucket", "GroupEntry",
    "MeterEntry", "SwitchPlan", "Plan",
    "PORT_IN_PORT", "PORT_NORMAL", "PORT_CONTROLLER", "PORT_LOCAL",
    # policies and topologies
    "Direction", "Delivery", "Endpoint", "RateLimit", "TunnelTarget", "TapPolicy",
    "load_policies", "policies_from_json", "policies_to_json",
    "Switch", "Host", "PortRef", "Link", "Hop", "Topology", "load_topology",
    # translation
    "Forwarding", "RuleKind", "make_cookie", "COOKIE_MAGIC", "COOKIE_MAGIC_MASK",
    "IdRange", "DEFAULT_GROUP_RANGE", "DEFAULT_METER_RANGE",
    "TranslatorOptions", "Translator", "translate",
    "Verdict", "CopyTarget", "Explanation", "explain", "simulate",
    # transports
    "Version", "ChangeSet", "diff", "BundleResult", "InstallReport", "FlowStats", "Counter",
    "GroupStats", "SwitchStats", "SwitchConnection", "Transport", "native_transport",
    "HAVE_OPENVSWITCH", *(["openvswitch_transport"] if HAVE_OPENVSWITCH else []),
    # the long-running vTAP application
    "Service", "ServiceEvent", "EventKind", "PolicyStats",
    # OVSDB discovery (raises Error without libopenvswitch)
    "discover_topology", "HostChange", "host_changes", "TopologyWatch",
]


def vtapctl_path() -> str:
    """Path of the ``vtapctl`` executable installed with this package (or on ``PATH``)."""
    scripts = os.path.join(sysconfig.get_path("scripts"), "vtapctl")
    if os.access(scripts, os.X_OK):
        return scripts
    found = shutil.which("vtapctl")
    if found is None:
        raise FileNotFoundError("vtapctl is not installed")
    return found
