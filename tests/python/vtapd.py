"""A running ``vtapctl serve`` (vtapd) with its HTTP API on loopback, for the API tests.

:class:`Vtapd` starts the daemon on a private topology with a token file, waits until it
prints where its API is, and stops it (SIGTERM, then SIGKILL) on every exit path (a
:class:`vtap.sandbox.LoggedProcess`).
"""
from __future__ import annotations

import json
from pathlib import Path

import requests

from vtap_import import import_vtap

import_vtap()
from vtap.sandbox import LoggedProcess  # noqa: E402

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


class Vtapd(LoggedProcess):
    def __init__(self, vtapctl: Path, workdir: Path, topology: Path | None, switches: list[str], *extra: str,
                 tokens: dict[str, str] = TOKENS, scheme: str = "http"):
        """``topology=None``: give ``--db`` in ``extra`` instead."""
        self.workdir = workdir
        self.state = workdir / "state.json"
        self.tokens = workdir / "tokens.json"
        self.tokens.write_text(json.dumps(tokens))
        super().__init__([vtapctl, "serve", *(["--topology", topology] if topology else []), "--state", self.state,
                          "--interval=200", "--listen", "127.0.0.1:0", "--tokens", self.tokens, *switches, *extra],
                         workdir / "vtapd.log")
        try:
            self.url = self.wait_for(rf"API on ({scheme}://\S+)", 20).group(1)
        except BaseException:
            self.stop()
            raise
        self.socket = Path(str(self.state) + ".ctl")

    def request(self, method: str, path: str, token: str | None = ADMIN, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        if self.url.startswith("https"):
            kwargs.setdefault("verify", False)
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def alive(self) -> bool:
        return self.running() and self.request("GET", "/v1/policies").status_code == 200
