"""The Python examples run as a newcomer runs them (the C++ one: test_cmake_package.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prerequisites import requires_root
from vtap_import import import_vtap

import_vtap()
REPO_ROOT = Path(__file__).resolve().parents[2]


@requires_root("the testbed")
def test_watch_applies_counts_and_explains():
    out = subprocess.run([sys.executable, str(REPO_ROOT / "examples" / "python" / "watch.py"), "--seconds", "2"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert "applied policy 1" in out and "applied policy 3" in out
    copies = [int(line.split(", ")[1].split()[0]) for line in out.splitlines()
              if line.startswith("policy 1:") and "copies sent" in line]
    assert copies and copies[-1] > 0, out  # HTTP from vm1 to vm2 was copied
    assert "vm3 gets 1 copy (policy 1)" in out


def test_fig4_compiles_and_explains():
    out = subprocess.run([sys.executable, str(REPO_ROOT / "examples" / "python" / "fig4.py")],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert "group_id=3758096384,type=all" in out and "vm3 gets 1 copy (policy 1)" in out
