"""The paper's experiments as notebooks (notebooks/*.ipynb), executed top to bottom with
nbclient at small scale (``VTAP_SCALE=small``), as a researcher would run them. Checks what
they wrote: the CSV of every trial, the figures, and the claims tables.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

from prerequisites import requires_root
from vtap_import import import_vtap

import_vtap()
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from experiments import notebook  # noqa: E402

pytestmark = requires_root("namespaces")


def rows(path: Path) -> list[dict]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_throughput_notebook(tmp_path):
    executed = notebook.execute("throughput", tmp_path, {"VTAP_SCALE": "small"}, timeout=600)
    assert executed.exists()
    for figure in ("throughput-fig8.png", "throughput-modes.png"):
        assert (tmp_path / figure).stat().st_size > 10_000
    trials = rows(tmp_path / "throughput.csv")
    assert {t["mode"] for t in trials} == {"none", "libvtap", "mirror"}
    assert {t["size"] for t in trials} == {"64", "1500"}
    for t in trials:
        receiver, monitor = float(t["receiver_pps"]), float(t["monitor_pps"])
        assert receiver > 1000, t  # traffic flowed
        if t["mode"] == "none":
            assert monitor < 0.01 * receiver, t  # no copies without a TAP
        else:
            assert monitor > 0.9 * receiver, t  # a copy of (nearly) every frame
    claims = (tmp_path / "throughput-claims.md").read_text()
    assert "second PMD thread, 1500-byte packets" in claims and "Monitor ≥ Receiver" in claims


def test_ids_notebook(tmp_path):
    executed = notebook.execute("ids", tmp_path, {"VTAP_SCALE": "small"}, timeout=600)
    assert executed.exists()
    assert (tmp_path / "ids-fig9.png").stat().st_size > 10_000
    sides = rows(tmp_path / "ids.csv")
    assert {s["side"] for s in sides} == {"receiver", "monitor"}
    assert all(s["engine"].startswith("nDPI ") for s in sides)
    lowest = [s for s in sides if float(s["rate_mbps"]) == min(float(s["rate_mbps"]) for s in sides)]
    for s in lowest:
        # At 10 Mbit/s nothing is lost, and the IDS finds every attack class it knows at both sides.
        assert float(s["drop_rate"]) < 0.05, s
        for risk in ("SQL Injection", "XSS Attack", "Possible Exploit Detected", "Clear-Text Credentials"):
            assert risk in s["risks"], s
    claims = (tmp_path / "ids-claims.md").read_text()
    assert "nDPI" in claims and "trace file" in claims
