"""The installed C++ library: ``cmake --install`` into a temporary prefix, then a tiny
consumer (``tests/cmake_consumer``) built with ``find_package(libvtap)`` and with
``pkg-config libvtap``, and run.

The build directory is env ``VTAP_BUILD_DIR``, else the directory of ``VTAPCTL``, else
``build/`` under the repository root.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from prerequisites import missing

REPO_ROOT = Path(__file__).resolve().parents[2]
CONSUMER = REPO_ROOT / "tests" / "cmake_consumer"


def build_dir() -> Path:
    if os.environ.get("VTAP_BUILD_DIR"):
        return Path(os.environ["VTAP_BUILD_DIR"]).resolve()
    if os.environ.get("VTAPCTL"):
        return Path(os.environ["VTAPCTL"]).resolve().parent
    return REPO_ROOT / "build"


def run(*cmd, **kwargs) -> str:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{shlex.join(map(str, cmd))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def prefix(tmp_path_factory) -> Path:
    build = build_dir()
    if not (build / "cmake_install.cmake").is_file():
        missing(f"no configured CMake build at {build} (set VTAP_BUILD_DIR)")
    prefix = tmp_path_factory.mktemp("prefix")
    run("cmake", "--install", build, "--prefix", prefix)
    return prefix


def test_installed_layout(prefix):
    libdirs = [d for d in (prefix / "lib", prefix / "lib64") if d.is_dir()]
    assert libdirs
    libdir = libdirs[0]
    for name in ("libvtapConfig.cmake", "libvtapConfigVersion.cmake", "libvtapTargets.cmake"):
        assert (libdir / "cmake" / "libvtap" / name).is_file(), name
    assert (libdir / "pkgconfig" / "libvtap.pc").is_file()
    for header in ("libvtap.hpp", "model/match.hpp", "translate/translator.hpp", "transport/transport.hpp",
                   "native/native_transport.hpp", "service/service.hpp"):
        assert (prefix / "include" / "libvtap" / header).is_file(), header
    for layer in ("core", "native", "service"):
        assert any(libdir.glob(f"libvtap_{layer}.*")), layer
    assert (prefix / "bin" / "vtapctl").is_file()


def test_find_package_consumer(prefix, tmp_path):
    build = tmp_path / "build"
    run("cmake", "-S", CONSUMER, "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_BUILD_TYPE=Release")
    run("cmake", "--build", build)
    out = run(build / "consumer")
    assert "cookie=0x7674010000000001" in out and "tcp" in out
    assert out.strip().endswith("transport native")


def test_pkg_config_consumer(prefix, tmp_path):
    if shutil.which("pkg-config") is None:
        missing("pkg-config is not installed")
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
    assert run("pkg-config", "--modversion", "libvtap", env=env).strip() == run(
        "python3", "-c", "import re,sys; print(re.search(r'project\\(libvtap VERSION ([0-9.]+)', "
        "open(sys.argv[1]).read()).group(1))", REPO_ROOT / "CMakeLists.txt").strip()
    flags = shlex.split(run("pkg-config", "--cflags", "--libs", "libvtap", env=env))
    # The .pc file is relocatable: its prefix is where it was installed.
    assert any(Path(f[2:]).resolve() == (prefix / "include").resolve() for f in flags if f.startswith("-I"))
    exe = tmp_path / "consumer"
    run(os.environ.get("CXX", "c++"), CONSUMER / "main.cpp", "-o", exe, *flags)
    assert "transport native" in run(exe)


def test_the_cpp_example_controller_builds_and_runs_against_a_switch(prefix, tmp_path, ovs):
    """examples/cpp, as a newcomer builds it, programs a real switch through the Service."""
    build = tmp_path / "example"
    run("cmake", "-S", REPO_ROOT / "examples" / "cpp", "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}",
        "-DCMAKE_BUILD_TYPE=Release")
    run("cmake", "--build", build)
    for name, dpid in (("s1", 1), ("s2", 2)):
        ovs.add_bridge(name, dpid=dpid)
    fig4 = REPO_ROOT / "examples" / "fig4"
    out = run(build / "vtap_controller", fig4 / "topology.json", fig4 / "policies.json",
              f"s1=unix:{ovs.dir}/s1.mgmt", f"s2=unix:{ovs.dir}/s2.mgmt", "--seconds", "1")
    assert "event applied" in out and "policy 3: 0 packets matched" in out and "connected: 2 of 2" in out, out
    flows = ovs.ofctl("dump-flows", "s1", "cookie=0x7674000000000000/0xffff000000000000")
    assert "group:3758096384" in flows  # policy 1: the first id of the default group range
