"""Executing the notebooks headless (nbclient), as CI does at small scale and
``bench/notebooks`` does at full scale."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from .params import ROOT

NOTEBOOKS = ROOT / "notebooks"


def execute(name: str, out_dir: Path, env: Mapping[str, str] = {}, timeout: int = 3600) -> Path:
    """Run ``notebooks/NAME.ipynb`` top to bottom with ``env`` added to the kernel's
    environment and figures and CSV files going to ``out_dir``; writes the executed
    notebook there and returns its path. Raises ``nbclient`` errors on a failing cell."""
    import nbclient
    import nbformat

    out_dir.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    saved = dict(os.environ)
    os.environ.update({**env, "VTAP_RESULTS_DIR": str(out_dir)})  # the kernel inherits this environment
    try:
        nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    path = out_dir / f"{name}.ipynb"
    nbformat.write(notebook, path)
    return path
