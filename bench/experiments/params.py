"""Experiment scale from environment variables, so CI runs the notebooks small and
``bench/notebooks`` runs them at full scale without editing them.

``VTAP_SCALE`` picks a preset (``small`` or ``full``, default ``full``); any single
parameter can be overridden by its own variable, e.g. ``VTAP_TP_SIZES=64,1500``.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRESETS: dict[str, dict[str, str]] = {
    "small": {"VTAP_TP_SIZES": "64,1500", "VTAP_TP_SECONDS": "1", "VTAP_TP_REPEAT": "1", "VTAP_TP_PMDS": "1,2",
              "VTAP_IDS_RATES": "10,50", "VTAP_IDS_TRIALS": "1", "VTAP_IDS_SESSIONS": "20"},
    "full": {"VTAP_TP_SIZES": "64,128,256,512,1024,1500", "VTAP_TP_SECONDS": "3", "VTAP_TP_REPEAT": "3",
             "VTAP_TP_PMDS": "1,2", "VTAP_IDS_RATES": "10,20,30,40,50,60", "VTAP_IDS_TRIALS": "10",
             "VTAP_IDS_SESSIONS": "400"},
}


def scale() -> str:
    value = os.environ.get("VTAP_SCALE", "full")
    if value not in PRESETS:
        raise ValueError(f"VTAP_SCALE={value!r}: expected one of {', '.join(PRESETS)}")
    return value


def get(name: str) -> str:
    """The variable's value, or the preset's."""
    return os.environ.get(name) or PRESETS[scale()][name]


def ints(name: str) -> list[int]:
    try:
        return [int(x) for x in get(name).split(",")]
    except ValueError:
        raise ValueError(f"{name}={get(name)!r}: expected comma-separated integers") from None


def number(name: str) -> float:
    try:
        return float(get(name))
    except ValueError:
        raise ValueError(f"{name}={get(name)!r}: expected a number") from None


def results_dir() -> Path:
    """Where figures and CSV files go: ``VTAP_RESULTS_DIR``, default ``docs/results``."""
    path = Path(os.environ.get("VTAP_RESULTS_DIR") or ROOT / "docs" / "results")
    path.mkdir(parents=True, exist_ok=True)
    return path
