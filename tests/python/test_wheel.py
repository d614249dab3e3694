"""``pip install .`` from a clean copy of the repository, into a fresh virtual environment,
then ``import vtap`` from outside the source tree.

Slow (a Release build of the whole library), so opt-in: ``VTAP_TEST_WHEEL=1``.
``VTAP_WHEEL_BUILD_DIR=DIR`` keeps scikit-build-core's build directory there between runs.
pip fetches the build requirements (scikit-build-core, pybind11) from the package index.
"""

from __future__ import annotations

import os
import re
import subprocess
import venv
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.environ.get("VTAP_TEST_WHEEL", "") in ("", "0"),
                                reason="slow; set VTAP_TEST_WHEEL=1 to build and install the wheel")


def run(*cmd, **kwargs) -> str:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=1800, **kwargs)
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result.stdout


def test_pip_install_and_import_outside_the_tree(tmp_path):
    # A clean copy of what is committed: no build/ directory, no stray files.
    clone = tmp_path / "clone"
    run("git", "clone", "-q", REPO_ROOT, clone)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    args = [python, "-m", "pip", "install", "-q", clone]
    if os.environ.get("VTAP_WHEEL_BUILD_DIR"):
        args[4:4] = ["-C", f"build-dir={os.environ['VTAP_WHEEL_BUILD_DIR']}"]
    run(*args)

    version = re.search(r"project\(libvtap VERSION ([0-9.]+)", (REPO_ROOT / "CMakeLists.txt").read_text()).group(1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = run(python, "-c", "import vtap, vtap._core, os; print(vtap.__version__); print(vtap._core.__file__); "
              "print(os.path.isfile(os.path.join(os.path.dirname(vtap.__file__), '_core.pyi'))); "
              "print(os.path.isfile(os.path.join(os.path.dirname(vtap.__file__), 'py.typed'))); "
              "print(vtap.vtapctl_path()); print(vtap.Match('tcp,tp_dst=80'))",
              cwd=elsewhere, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    lines = out.splitlines()
    assert lines[0] == version
    assert str(env_dir) in lines[1] and str(REPO_ROOT) not in lines[1]
    assert lines[2] == "True" and lines[3] == "True"
    assert Path(lines[4]).parent == env_dir / "bin"
    assert "usage: vtapctl" in run(lines[4], "--help")
    assert lines[5] == "tcp,tp_dst=80"
