#!/usr/bin/env python3
"""Records what a real ovs-vswitchd answers to libvtap's encoded messages.

Starts a private Open vSwitch (python/vtap/sandbox.py: ovsdb-server + ovs-vswitchd on
the dummy datapath, stopped by pid at the end), installs flows, groups and meters with
ovs-ofctl, then talks OpenFlow 1.3, 1.4 and 1.5 to the bridge's `br0.mgmt` socket:
sends the bytes libvtap encodes (the `hex:` lines of the golden *_ofVV.txt files beside this
script) and writes every reply as ovs_<what>_ofVV.txt with `sent:` (what we sent), `hex:`
(what OVS answered) and the `ovs-ofctl ofp-print` text of the answer.

Replies carry durations and ports' MAC addresses, so the files are recorded once and kept;
tests/cpp/openflow_messages_ovs_test.cpp decodes them. Run from anywhere:
    python3 tests/data/openflow/messages/capture.py
"""

import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "python" / "vtap"))  # the launcher alone: stdlib only, no build
from sandbox import OvsSandbox  # noqa: E402

VERSIONS = {4: "of13", 5: "of14", 6: "of15"}


def golden(name, version):
    """The bytes libvtap encodes for golden case `name` in `version`."""
    for line in (HERE / f"{name}_{VERSIONS[version]}.txt").read_text().splitlines():
        if line.startswith("hex: "):
            return bytes.fromhex(line[5:])
    raise KeyError(name)


def ofp_print(data):
    return subprocess.run(["ovs-ofctl", "ofp-print", data.hex()], capture_output=True, text=True).stdout


def write(name, version, sent, reply, note):
    path = HERE / f"ovs_{name}_{VERSIONS[version]}.txt"
    sent_hex = " ".join(m.hex() for m in sent) if sent else "-"
    path.write_text(f"# {note} (recorded from ovs-vswitchd 3.1 by capture.py)\nsent: {sent_hex}\n"
                    f"hex: {reply.hex()}\ntext:\n{ofp_print(reply)}")
    print(path.name, ofp_print(reply).splitlines()[0])


class Connection:
    """One OpenFlow connection to a bridge's management socket at one version."""

    def __init__(self, path, version):
        self.version = version
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.sock.settimeout(2.0)
        # Offer only `version`, so OVS (which speaks 1.3-1.5 here) settles on it.
        self.sent_hello = bytes([version, 0]) + struct.pack("!HIHHI", 16, 1, 1, 8, 1 << version)
        self.sock.sendall(self.sent_hello)
        self.hello = self.recv()

    def recv(self):
        def exactly(n):
            data = b""
            while len(data) < n:
                chunk = self.sock.recv(n - len(data))
                if not chunk:
                    raise EOFError("switch closed the connection")
                data += chunk
            return data
        header = exactly(8)
        return header + exactly(struct.unpack("!H", header[2:4])[0] - 8)

    def exchange(self, *messages):
        """Sends `messages` and a barrier; returns every message received before its reply."""
        for m in messages:
            self.sock.sendall(m)
        self.sock.sendall(bytes([self.version, 20]) + struct.pack("!HI", 8, 0xb0b0b0b0))
        replies = []
        while True:
            m = self.recv()
            if m[1] == 21 and m[4:8] == b"\xb0\xb0\xb0\xb0":
                return replies
            replies.append(m)

    def close(self):
        self.sock.close()


def main():
    with OvsSandbox(directory="/tmp") as ovs:
        ovs.add_bridge("br0", dpid=0x1234)
        ovs.add_port("br0", "p1", 1)
        ovs.add_port("br0", "p2", 2)
        of15 = ("-O", "OpenFlow15")
        ovs.ofctl(*of15, "add-meter", "br0", "meter=1,pktps,burst,bands=type=drop,rate=1000,burst_size=100")
        ovs.ofctl(*of15, "add-meter", "br0", "meter=2,kbps,bands=type=drop,rate=5000")
        ovs.ofctl(*of15, "add-group", "br0",
                  "group_id=1,type=all,bucket=bucket_id:0,actions=output:1,bucket=bucket_id:1,actions=output:2")
        ovs.ofctl(*of15, "add-group", "br0",
                  "group_id=2,type=select,bucket=bucket_id:5,actions=output:1,bucket=bucket_id:7,actions=output:2")
        ovs.ofctl(*of15, "add-flow", "br0",
                  "table=0,priority=100,cookie=0x5,tcp,in_port=1,tp_dst=80,idle_timeout=60,actions=group:1")
        ovs.ofctl(*of15, "add-flow", "br0", "table=1,priority=10,cookie=0x6,ip,actions=meter:1,output:2")
        mgmt = str(ovs.dir / "br0.mgmt")

        for v in VERSIONS:
            c = Connection(mgmt, v)
            write("hello", v, [c.sent_hello], c.hello, "the switch's HELLO")
            for name in ("features_request", "multipart_port_desc_request", "multipart_flow_request",
                         "multipart_group_request", "multipart_group_desc_request",
                         "multipart_meter_config_request"):
                sent = golden(name, v)
                (reply,) = c.exchange(sent)
                write(name.replace("_request", "_reply"), v, [sent], reply, f"reply to our {name}")
            # Meter stats for every meter (our golden asks for meter 1 only).
            sent = golden("multipart_meter_request", v)[:16] + struct.pack("!II", 0xffffffff, 0)
            (reply,) = c.exchange(sent)
            write("multipart_meter_reply", v, [sent], reply, "reply to our meter stats request for every meter")
            sent = golden("echo_request", v)
            (reply,) = c.exchange(sent)
            write("echo_reply", v, [sent], reply, "reply to our echo request")
            # Adding group 1 again: it exists.
            sent = golden("group_mod_add_all", v)
            (reply,) = c.exchange(sent)
            write("error_group_exists", v, [sent], reply, "error for our add of an existing group")
            # A FLOW_MOD cut short: its length says 4 bytes less than its match needs.
            flow_mod = golden("flow_mod_add", v)
            sent = flow_mod[:2] + struct.pack("!H", 52) + flow_mod[4:52]
            (reply,) = c.exchange(sent)
            write("error_bad_len", v, [sent], reply, "error for a truncated flow mod")
            # A bundle that commits: open, add a flow, commit.
            opened, added, committed = (golden(n, v) for n in ("bundle_open", "bundle_add_flow", "bundle_commit"))
            replies = c.exchange(opened, added, committed)
            assert len(replies) == 2, [r.hex() for r in replies]
            write("bundle_open_reply", v, [opened], replies[0], "reply to our bundle open")
            write("bundle_commit_reply", v, [opened, added, committed], replies[1], "reply to our bundle commit")
            # A bundle that fails: its group add names a group that exists.
            group_add = golden("bundle_add_group", v)
            replies = c.exchange(opened, golden("bundle_add_group", v), committed)
            write("bundle_failed_open_reply", v, [opened], replies[0], "reply to our second bundle open")
            for i, reply in enumerate(replies[1:]):
                write(f"bundle_failed_{i}", v, [opened, group_add, committed], reply,
                      f"reply {i + 1} to a bundle whose group add fails at commit")
            # A port appears. OVS sends a service connection (like this one on br0.mgmt) no
            # asynchronous messages until it asks for them with OFPT_SET_ASYNC (type 28):
            # 1.3 has fixed masks, 1.4+ properties (OFPACPT_PORT_STATUS_SLAVE/MASTER).
            if v == 4:
                body = struct.pack("!IIIIII", 0, 0, 7, 7, 0, 0)
            else:
                body = struct.pack("!HHIHHI", 2, 8, 7, 3, 8, 7)
            c.exchange(bytes([v, 28]) + struct.pack("!HI", 8 + len(body), 0x99) + body)
            ovs.add_port("br0", f"p{v}", v + 10)
            deadline = time.monotonic() + 5
            status = None
            while status is None and time.monotonic() < deadline:
                for m in c.exchange():
                    if m[1] == 12:
                        status = m
                        break
                time.sleep(0.1)
            if status is not None:
                write("port_status", v, None, status, f"port p{v} added while connected")
            else:
                print(f"no port status in {VERSIONS[v]}")
            c.close()


if __name__ == "__main__":
    main()
