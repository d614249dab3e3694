"""Regenerates docs/gui.png: the GUI with live policies, in Debian's Chromium (headless).

Starts a private Open vSwitch (vtap.sandbox.OvsSandbox: three switches in a line, six VMs
of tenant t1), runs vtapd (`vtapctl serve --listen 127.0.0.1:0 --tokens ...`) on it, adds
two policies over the API, sends real frames from vm1 to vm2 while Playwright signs in as
tenant t1, explains a packet and selects the first policy's path, and takes the screenshot.
Nothing outside the private switch and a temporary directory is touched.

    python3 scripts/gui_screenshot.py [--build build] [--vtapctl build/vtapctl] [--out docs/gui.png]
                                      [--serve]    # keep it running afterwards, for a browser

Needs Open vSwitch, scapy, playwright (PyPI) and chromium (apt), like tests/python/test_gui.py.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
TOKEN = "gui-screenshot-tenant-t1"
ADMIN = "gui-screenshot-administrator"
SWITCHES = ["s1", "s2", "s3"]
PLACEMENT = {"vm1": "s1", "vm2": "s3", "vm3": "s2", "vm4": "s1", "vm5": "s3", "vm6": "s2"}


def mac(vm: str) -> str:
    return f"fa:16:3e:00:00:{int(vm[2:]):02x}"


def ip(vm: str) -> str:
    return f"10.0.0.{int(vm[2:])}"


def link_port(a: str, b: str) -> int:
    return 10 * int(a[1:]) + int(b[1:])


def topology() -> dict:
    return {"switches": [{"name": s, "dpid": f"{int(s[1:]):016x}"} for s in SWITCHES],
            "hosts": [{"name": vm, "mac": mac(vm), "ip": ip(vm), "switch": sw, "port": int(vm[2:]), "tenant": "t1"}
                      for vm, sw in sorted(PLACEMENT.items())],
            "links": [{"a": {"switch": a, "port": link_port(a, b)}, "b": {"switch": b, "port": link_port(b, a)}}
                      for a, b in zip(SWITCHES, SWITCHES[1:])]}


def next_hop(here: str, target: str) -> str:
    """The first switch after `here` toward `target` on the line (breadth-first)."""
    links = list(zip(SWITCHES, SWITCHES[1:]))
    parent, queue = {here: None}, deque([here])
    while queue:
        s = queue.popleft()
        for a, b in links:
            for n in ((b,) if a == s else (a,) if b == s else ()):
                if n not in parent:
                    parent[n] = s
                    queue.append(n)
    hop = target
    while parent[hop] != here:
        hop = parent[hop]
    return hop


def build_network(ovs) -> None:
    """Bridges, one captured port per VM, patch links, and plain L2 forwarding (the switches'
    own, which libvtap's rules sit on top of)."""
    for s in SWITCHES:
        ovs.add_bridge(s, dpid=int(s[1:]))
    for vm, s in sorted(PLACEMENT.items()):
        ovs.add_port(s, vm, int(vm[2:]))
    for a, b in zip(SWITCHES, SWITCHES[1:]):
        ovs.add_patch(a, f"{a}-{b}", link_port(a, b), b, f"{b}-{a}", link_port(b, a))
    for s in SWITCHES:
        for vm, where in sorted(PLACEMENT.items()):
            port = int(vm[2:]) if where == s else link_port(s, next_hop(s, where))
            ovs.ofctl("add-flow", s, f"priority=10,dl_dst={mac(vm)},actions=output:{port}")


def frame(src: str, dst: str, dport: int) -> bytes:
    from scapy.layers.inet import IP, TCP  # noqa: PLC0415
    from scapy.layers.l2 import Ether  # noqa: PLC0415
    from scapy.packet import Raw  # noqa: PLC0415
    return bytes(Ether(src=mac(src), dst=mac(dst)) / IP(src=ip(src), dst=ip(dst))
                 / TCP(sport=40000, dport=dport, flags="PA") / Raw(b"GET / HTTP/1.1\r\n\r\n"))


def request(url: str, method: str, path: str, body: dict | None = None) -> dict:
    import urllib.request  # noqa: PLC0415
    req = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def start_vtapd(vtapctl: str, ovs, work: Path) -> tuple[subprocess.Popen, str]:
    (work / "topology.json").write_text(json.dumps(topology(), indent=1))
    tokens = work / "tokens.json"
    tokens.write_text(json.dumps({ADMIN: "*", TOKEN: "t1"}))
    tokens.chmod(0o600)
    log = work / "vtapd.log"
    proc = subprocess.Popen([vtapctl, "serve", "--topology", str(work / "topology.json"),
                             "--state", str(work / "state.json"), "--listen", "127.0.0.1:0", "--tokens", str(tokens),
                             *(f"--switch={s}={ovs.mgmt(s)}" for s in SWITCHES)],
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"API on (http://\S+)", log.read_text(errors="replace"))
        if found:
            return proc, found.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"vtapd did not start:\n{log.read_text(errors='replace')}")


def traffic(ovs, stop: threading.Event) -> None:
    """vm1 -> vm2 web traffic, about 20 frames a second, until `stop`."""
    web = frame("vm1", "vm2", 80)
    while not stop.is_set():
        for _ in range(4):
            ovs.appctl("netdev-dummy/receive", "vm1", web.hex())
        ovs.appctl("revalidator/purge")
        stop.wait(0.2)


def screenshot(url: str, out: Path, chromium: str, add_second_policy) -> None:
    """Signs in, then has the second policy added (by the API, as another client would: the
    page shows it from the event stream), and shoots."""
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
        page.goto(url + "/")
        page.get_by_label("Token").fill(TOKEN)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#live")).to_have_text("live", timeout=15_000)
        add_second_policy()
        expect(page.locator('#policies tr[data-id="2"]')).to_be_visible(timeout=15_000)
        page.get_by_label("Packet", exact=True).fill(f"tcp,dl_src={mac('vm1')},dl_dst={mac('vm2')},tp_dst=80")
        page.get_by_role("button", name="Explain").click()
        page.locator("#explanation .summary").wait_for()
        page.get_by_label("Path of policy").select_option("1")
        page.get_by_role("button", name="Edit policy 2 (ssh)").click()
        page.wait_for_timeout(4000)  # a few polls: the counters and the copy rate are live
        page.mouse.move(0, 0)
        page.evaluate("document.activeElement.blur()")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(out), full_page=True)
        browser.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=str(ROOT / "build"), help="build directory (for vtap's Python package)")
    ap.add_argument("--vtapctl", default=os.environ.get("VTAPCTL"), help="default: BUILD/vtapctl")
    ap.add_argument("--out", default=str(ROOT / "docs" / "gui.png"))
    ap.add_argument("--chromium", default=CHROMIUM)
    ap.add_argument("--serve", action="store_true", help="keep vtapd and the traffic running until Ctrl-C")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(args.build) / "python"))
    from vtap.sandbox import OvsSandbox, interrupt_on_sigterm, stop_child  # noqa: PLC0415

    interrupt_on_sigterm()
    vtapctl = args.vtapctl or str(Path(args.build) / "vtapctl")
    with tempfile.TemporaryDirectory(prefix="vtap-gui-") as tmp, OvsSandbox() as ovs:
        build_network(ovs)
        proc, url = start_vtapd(vtapctl, ovs, Path(tmp))
        stop = threading.Event()
        sender = threading.Thread(target=traffic, args=(ovs, stop), daemon=True)
        try:
            request(url, "POST", "/v1/policies", {
                "name": "http", "tenant": "t1", "sender": {"mac": mac("vm1")}, "receiver": {"mac": mac("vm2")},
                "monitor": {"mac": mac("vm3")}, "filter": "tcp,tp_dst=80"})
            sender.start()
            time.sleep(1.5)
            screenshot(url, Path(args.out), args.chromium, lambda: request(url, "POST", "/v1/policies", {
                "name": "ssh", "tenant": "t1", "sender": {"mac": mac("vm4")}, "receiver": {"ip": ip("vm5")},
                "monitor": {"mac": mac("vm6")}, "filter": "tcp,tp_dst=22", "direction": "both", "truncate": 128,
                "rate_limit": {"pktps": 1000}}))
            print(f"wrote {args.out}")
            if args.serve:
                print(f"GUI: {url}/  (token {TOKEN}; administrator {ADMIN}); Ctrl-C stops it", flush=True)
                while proc.poll() is None:
                    time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            if sender.is_alive():
                sender.join(timeout=5)
            stop_child(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
