"""The type stubs of ``vtap._core`` (``python/vtap/_core.pyi``) against the built module.

* mypy accepts the stubs;
* ``mypy.stubtest`` finds no difference between them and the module, except what
  ``stubtest_allowlist.txt`` (beside this file) lists as pybind11's own, and no entry there
  is unused;
* ``scripts/gen_stubs.py`` run on the module writes exactly the committed stubs, so they are
  neither edited by hand nor stale (after changing the bindings: ``PYTHONPATH=build/python
  python3 scripts/gen_stubs.py``).

mypy and pybind11-stubgen are prerequisites (``scripts/test.sh`` installs them): without them
these tests skip locally and fail in CI.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from prerequisites import missing, requires
from vtap_import import import_vtap

vtap = import_vtap()

REPO_ROOT = Path(__file__).resolve().parents[2]
STUB = REPO_ROOT / "python" / "vtap" / "_core.pyi"
ALLOWLIST = Path(__file__).resolve().parent / "stubtest_allowlist.txt"


def need(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        missing(f"{module} is not installed (pip install mypy pybind11-stubgen; scripts/test.sh does)")


def mypy_env(tmp_path: Path) -> dict[str, str]:
    """The environment for mypy: the repository's stubs first, the built module importable,
    and a cache of its own."""
    env = dict(os.environ)
    env["MYPYPATH"] = str(STUB.parent.parent)
    env["MYPY_CACHE_DIR"] = str(tmp_path / "mypy-cache")
    built = str(Path(vtap.__file__).resolve().parents[1])  # the vtap under test, for stubtest
    env["PYTHONPATH"] = os.pathsep.join([built, *filter(None, [env.get("PYTHONPATH")])])
    return env


def test_mypy_accepts_the_stubs(tmp_path):
    need("mypy")
    result = subprocess.run([sys.executable, "-m", "mypy", str(STUB)], env=mypy_env(tmp_path),
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_stubtest_finds_only_what_is_pybind11s(tmp_path):
    need("mypy")
    allowlists = [ALLOWLIST]
    if not vtap.HAVE_OPENVSWITCH:
        # The stubs come from a build with libopenvswitch (CI always has one).
        extra = tmp_path / "without_openvswitch.txt"
        extra.write_text("vtap._core.openvswitch_transport\nvtap._core.__all__\n")
        allowlists.append(extra)
    command = [sys.executable, "-m", "mypy.stubtest", "vtap._core"]
    for allowlist in allowlists:
        command += ["--allowlist", str(allowlist)]
    result = subprocess.run(command, env=mypy_env(tmp_path), capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, (
        "mypy.stubtest: python/vtap/_core.pyi differs from vtap._core (regenerate it with "
        "scripts/gen_stubs.py; pybind11's own differences belong in tests/python/stubtest_allowlist.txt):\n"
        + result.stdout + result.stderr)


@requires(vtap.HAVE_OPENVSWITCH, "the committed stubs come from a build with libopenvswitch "
          "(configure with -DVTAP_WITH_OPENVSWITCH=ON)")
def test_the_stubs_are_what_gen_stubs_writes(monkeypatch):
    need("pybind11_stubgen")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(Path(vtap.__file__).resolve().parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])]))
    spec = importlib.util.spec_from_file_location("gen_stubs", REPO_ROOT / "scripts" / "gen_stubs.py")
    assert spec is not None and spec.loader is not None
    gen_stubs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_stubs)
    generated = gen_stubs.generate()
    if generated != STUB.read_text():
        import difflib
        diff = "".join(difflib.unified_diff(STUB.read_text().splitlines(keepends=True),
                                            generated.splitlines(keepends=True),
                                            "python/vtap/_core.pyi", "scripts/gen_stubs.py", n=1))
        pytest.fail("python/vtap/_core.pyi is not what scripts/gen_stubs.py writes for this build "
                    "(run PYTHONPATH=build/python python3 scripts/gen_stubs.py):\n" + diff[:6000])
