"""A running ``vtapctl serve`` (vtapd) with its HTTP API on loopback, for the API tests.

:class:`Vtapd` starts the daemon on a private topology with a token file, waits until it
prints where its API is, and stops it (SIGTERM, then SIGKILL) on every exit path.
"""
from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import requests

from vtap_import import import_vtap

import_vtap()
from vtap.sandbox import stop_child  # noqa: E402

def two_tenants():
    """s1 - s2 with vm1, vm4, vm5 on s1 and vm2, vm3, vm6 on s2; vm1..vm3 are tenant t1's, vm4..vm6
    tenant t2's. Returns the topo_helpers Topology and its JSON document."""
    from topo_helpers import topology  # noqa: PLC0415

    topo = topology("2sw-monitor-at-receiver")
    topo.placement.update({"vm5": "s1", "vm6": "s2"})
    doc = topo.to_json()
    for host in doc["hosts"]:
        if host["name"] in ("vm4", "vm5", "vm6"):
            host["tenant"] = "t2"
    return topo, doc


TOKENS = {"admin-token-0001": "*", "tenant-a-token-01": "t1", "tenant-b-token-02": "t2"}
ADMIN, TENANT_A, TENANT_B = TOKENS


class Vtapd:
    def __init__(self, vtapctl: Path, workdir: Path, topology: Path | None, switches: list[str], *extra: str,
                 tokens: dict[str, str] = TOKENS, scheme: str = "http"):
        """``topology=None``: give ``--db`` in ``extra`` instead."""
        self.workdir = workdir
        self.state = workdir / "state.json"
        self.log = workdir / "vtapd.log"
        self.tokens = workdir / "tokens.json"
        self.tokens.write_text(json.dumps(tokens))
        self.proc = subprocess.Popen(
            [str(vtapctl), "serve", *(["--topology", str(topology)] if topology else []),
             "--state", str(self.state), "--interval=200",
             "--listen", "127.0.0.1:0", "--tokens", str(self.tokens), *switches, *extra],
            stdout=self.log.open("a"), stderr=subprocess.STDOUT)
        try:
            line = self.wait_for(rf"API on ({scheme}://\S+)")
            self.url = re.search(rf"API on ({scheme}://\S+)", line).group(1)
        except BaseException:
            self.stop()
            raise
        self.socket = Path(str(self.state) + ".ctl")

    def wait_for(self, pattern: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log.read_text(errors="replace").splitlines():
                if re.search(pattern, line):
                    return line
            assert self.proc.poll() is None, f"vtapd exited: {self.log.read_text(errors='replace')}"
            time.sleep(0.05)
        raise AssertionError(f"vtapd did not print {pattern!r}:\n{self.log.read_text(errors='replace')}")

    def request(self, method: str, path: str, token: str | None = ADMIN, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        if self.url.startswith("https"):
            kwargs.setdefault("verify", False)
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def alive(self) -> bool:
        return self.proc.poll() is None and self.request("GET", "/v1/policies").status_code == 200

    def stop(self) -> None:
        stop_child(self.proc)
