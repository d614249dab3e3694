#!/usr/bin/env bash
# The paper's Fig. 4 on a private user-space Open vSwitch, with real packets.
#
#   s1 (vm1, vm4) ==patch== s2 (vm2, vm3)        VMs are network namespaces on veth pairs
#
# Policy 1: copy vm1 -> vm2 HTTP (tcp,tp_dst=80) to vm3.
# Policy 3: copy vm2 -> vm1 TCP on VLAN 200 with ECN 3 to vm4.
# Policy 2 (an MPLS label together with UDP) is refused with a clear error.
#
# It installs what is missing, builds, starts ovsdb-server/ovs-vswitchd in a private
# directory (netdev datapath) with libvtap's launcher (python3 -m vtap.sandbox, as the tests
# do), installs the policies with `vtapctl apply` over libvtap's own
# OpenFlow transport, sends packets with scapy, and shows what each monitor captured. Everything it
# starts is stopped on exit, also on failure or Ctrl-C. It ends by handing the same switches
# to vtapd (`vtapctl serve`) and asking its HTTP API; with --serve, vtapd keeps running with
# its GUI until Ctrl-C.
set -euo pipefail

SERVE=0
case "${1:-}" in
  "") ;;
  --serve) SERVE=1 ;;
  *) echo "usage: scripts/demo.sh [--serve]" >&2; exit 2 ;;
esac

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

install_dependencies
build_project build
VTAPCTL="$REPO_ROOT/build/vtapctl"
EXAMPLE="$REPO_ROOT/examples/fig4"

WORK="$(mktemp -d /tmp/vtap-demo.XXXXXX)"
TAG="vd$$"                       # unique suffix for namespaces and veths
NAMESPACES=()
export OVS_RUNDIR="$WORK" OVS_LOGDIR="$WORK" OVS_DBDIR="$WORK" OVS_SYSCONFDIR="$WORK"
DB="unix:$WORK/db.sock"
# The private-Open-vSwitch launcher the tests and benchmarks use (python/vtap/sandbox.py).
sandbox() { PYTHONPATH="$REPO_ROOT/build/python${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m vtap.sandbox "$@"; }

cleanup() {
  local status=$?
  set +e
  for pidfile in "$WORK"/tcpdump-*.pid "$WORK"/vtapd.pid; do
    [[ -f $pidfile ]] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  for ns in "${NAMESPACES[@]}"; do ip netns delete "$ns" 2>/dev/null; done
  sandbox stop "$WORK"             # ovs-vswitchd, then ovsdb-server, by pid
  if [[ $status -eq 0 ]]; then rm -rf "$WORK"; else echo "demo failed; logs kept in $WORK" >&2; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vsctl() { ovs-vsctl --db="$DB" --timeout=10 "$@"; }
ofctl() { ovs-ofctl -O OpenFlow15 "$@"; }

step "starting a private Open vSwitch in $WORK"
sandbox start --dummy=none "$WORK"   # user space, real devices (veth): netdev bridges
for sw in s1 s2; do
  sandbox add-bridge "$WORK" "$sw" "${sw#s}"   # fail_mode=secure, OpenFlow 1.3-1.5, no flows
done
vsctl add-port s1 s1-patch -- set interface s1-patch type=patch options:peer=s2-patch ofport_request=10 \
  -- add-port s2 s2-patch -- set interface s2-patch type=patch options:peer=s1-patch ofport_request=10

# VMs from the topology file: name mac ip switch port.
mapfile -t HOSTS < <(python3 -c '
import json, sys
for h in json.load(open(sys.argv[1]))["hosts"]:
    print(h["name"], h["mac"], h["ip"], h["switch"], h["port"])' "$EXAMPLE/topology.json")
for line in "${HOSTS[@]}"; do
  read -r name mac ip sw port <<<"$line"
  ns="$TAG-$name"
  ip netns add "$ns"; NAMESPACES+=("$ns")
  # No IPv6 chatter (router solicitations, MLD): the captures hold only the demo's packets.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip link add "$TAG-$name" type veth peer name eth0 netns "$ns"
  sysctl -qw "net.ipv6.conf.$TAG-$name.disable_ipv6=1"
  ip -n "$ns" link set eth0 address "$mac"
  ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null   # user-space datapath pitfall
  ip link set "$TAG-$name" up
  vsctl add-port "$sw" "$TAG-$name" -- set interface "$TAG-$name" ofport_request="$port"
done
# Static neighbours and plain L2 forwarding: the switches' own rules, below libvtap's.
for line in "${HOSTS[@]}"; do
  read -r name mac ip sw port <<<"$line"
  for other in "${HOSTS[@]}"; do
    read -r oname omac oip osw oport <<<"$other"
    [[ $oname == "$name" ]] || ip -n "$TAG-$name" neigh replace "$oip" lladdr "$omac" dev eth0
  done
  for s in s1 s2; do
    if [[ $s == "$sw" ]]; then out=$port; else out=10; fi
    ofctl add-flow "$s" "priority=10,dl_dst=$mac,actions=output:$out"
  done
done

step "installing the Fig. 4 policies with vtapctl apply (native OpenFlow, one bundle per switch)"
SWITCHES=(--switch "s1=unix:$WORK/s1.mgmt" --switch "s2=unix:$WORK/s2.mgmt")
"$VTAPCTL" apply --topology "$EXAMPLE/topology.json" --policies "$EXAMPLE/policies.json" "${SWITCHES[@]}"
echo "applying again changes nothing:"
"$VTAPCTL" apply --topology "$EXAMPLE/topology.json" --policies "$EXAMPLE/policies.json" "${SWITCHES[@]}"
echo "policy 2 of Fig. 4 is refused before anything is sent:"
if "$VTAPCTL" apply --topology "$EXAMPLE/topology.json" --policies "$EXAMPLE/policy2.json" "${SWITCHES[@]}"; then
  echo "error: policy 2 was accepted" >&2; exit 1
fi

step "capturing what every VM receives, and sending packets"
for line in "${HOSTS[@]}"; do
  read -r name _ <<<"$line"
  ip netns exec "$TAG-$name" tcpdump -Q in -i eth0 -U -n -w "$WORK/$name.pcap" 2>/dev/null &
  echo $! >"$WORK/tcpdump-$name.pid"
done
sleep 1
python3 "$REPO_ROOT/scripts/lib/demo_send.py" "$TAG"
sleep 1
for pidfile in "$WORK"/tcpdump-*.pid; do kill -INT "$(cat "$pidfile")"; rm -f "$pidfile"; done
wait 2>/dev/null || true

step "what each VM received"
python3 "$REPO_ROOT/scripts/lib/demo_report.py" "$WORK"

step "libvtap's rules on the switches, as vtapctl dump reads them back"
"$VTAPCTL" dump "${SWITCHES[@]}"
step "their packet counters, as ovs-ofctl shows them"
for sw in s1 s2; do
  echo "$sw:"
  ofctl dump-flows "$sw" cookie=0x7674000000000000/0xffff000000000000 | sed 1d | sed 's/duration=[^,]*, //'
done
step "vtapctl explain for an HTTP packet from vm1"
"$VTAPCTL" explain --topology "$EXAMPLE/topology.json" --policies "$EXAMPLE/policies.json" \
  --packet 'tcp,dl_src=fa:00:00:00:00:01,dl_dst=fa:00:00:00:00:02,nw_src=10.1.1.1,nw_dst=10.1.1.2,tp_dst=80'
step "vtapd: the same switches managed over its HTTP API (docs/api.md)"
TOKEN="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '{"%s": "*"}\n' "$TOKEN" >"$WORK/tokens.json"
cp "$EXAMPLE/policies.json" "$WORK/state.json"
"$VTAPCTL" serve --topology "$EXAMPLE/topology.json" --state "$WORK/state.json" "${SWITCHES[@]}" \
  --listen "127.0.0.1:${VTAP_DEMO_PORT:-0}" --tokens "$WORK/tokens.json" >"$WORK/vtapd.log" 2>&1 &
echo $! >"$WORK/vtapd.pid"
for _ in $(seq 100); do grep -q "API on" "$WORK/vtapd.log" && break; sleep 0.1; done
URL="$(grep -o 'API on http://[^ ]*' "$WORK/vtapd.log" | cut -d' ' -f3)"
[[ -n $URL ]] || { cat "$WORK/vtapd.log" >&2; exit 1; }
api() { curl -sS --fail-with-body -H "Authorization: Bearer $TOKEN" "$@"; }
echo "GET $URL/v1/policies  (the policies it took over; the switches already held them):"
api "$URL/v1/policies" | python3 -c 'import json, sys
for p in json.load(sys.stdin)["policies"]:
    print("  policy", p["id"], p.get("name", ""), p.get("filter", ""))'
echo "GET $URL/metrics  (the copies each policy sent):"
api "$URL/metrics" | grep '^vtap_policy_copies_total'
echo "vtapd's log:"
sed 's/^/  /' "$WORK/vtapd.log"
if [[ $SERVE == 1 ]]; then
  step "vtapd keeps running: open $URL/ in a browser and sign in with token $TOKEN (Ctrl-C stops)"
  wait "$(cat "$WORK/vtapd.pid")" || true
fi
step "demo finished"
