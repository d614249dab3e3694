#!/usr/bin/env bash
# Build libvtap and run every test suite. Runs from any directory.
#
#  1. installs what is missing (apt packages, then pytest/scapy/pybind11 via pip), idempotently;
#  2. configures and builds with CMake + Ninja into build/ (warnings are errors), the Python
#     extension vtap._core included (into build/python/vtap/);
#  3. runs the C++ tests (ctest) and the Python tests (pytest, against build/vtapctl and,
#     with build/python on PYTHONPATH, the vtap package; integration tests start their own
#     private Open vSwitch; one test installs build/ into a temporary prefix);
#  4. builds each library target (libvtap::core, ::native, ::service, ::api) alone, from
#     clean, into build-alone/: each layer declares what it needs (VTAP_TARGETS_ALONE=0 skips);
#  5. builds the C++ tests again with AddressSanitizer and UndefinedBehaviorSanitizer into
#     build-asan/ and runs them (VTAP_SANITIZE_TESTS=0 skips this step);
#  6. builds the libFuzzer targets with clang into build-fuzz/ and runs each for a bounded
#     number of inputs (VTAP_FUZZ_RUNS, default 20000; 0 skips this step).
#
# With env CI set to a true value (.ci/run sets it) nothing the steps above install may be
# missing: a test that needs root, Open vSwitch, ovs-ofctl, vtapctl or vtap._core fails
# instead of skipping (tests/python/prerequisites.py, tests/cpp/prerequisite.hpp), every build
# must have libopenvswitch (-DVTAP_WITH_OPENVSWITCH=ON: an error without openvswitch-source),
# and the wheel test (tests/python/test_wheel.py: pip install into a fresh venv) runs
# (VTAP_TEST_WHEEL defaults to 1).
#
# Exits non-zero on any failure.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
# shellcheck source=scripts/lib/common.sh
source scripts/lib/common.sh

FUZZ_RUNS="${VTAP_FUZZ_RUNS:-20000}"
SANITIZE_TESTS="${VTAP_SANITIZE_TESTS:-1}"
# CMake arguments of every build: in CI, a build without libopenvswitch (whose tests and
# fuzz target are compiled only with it) is an error, not a smaller build.
CMAKE_ARGS=()
ci="${CI:-}"
case "${ci,,}" in
  "" | 0 | false | no | off) ;;
  *)
    CMAKE_ARGS+=(-DVTAP_WITH_OPENVSWITCH=ON)
    export VTAP_TEST_WHEEL="${VTAP_TEST_WHEEL:-1}"
    ;;
esac

install_dependencies
build_project build "${CMAKE_ARGS[@]}"

log "C++ tests"
ctest --test-dir build --output-on-failure
log "Python tests"
VTAPCTL="$REPO_ROOT/build/vtapctl" VTAP_BUILD_DIR="$REPO_ROOT/build" \
  PYTHONPATH="$REPO_ROOT/build/python${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m pytest -q -rs tests/python

if [[ ${VTAP_TARGETS_ALONE:-1} != 0 ]]; then
  log "each library target built alone"
  cmake -S . -B build-alone -G Ninja -DCMAKE_BUILD_TYPE=Debug -DVTAP_WERROR=ON -DVTAP_BUILD_TESTS=OFF \
    -DVTAP_BUILD_BENCH=OFF -DVTAP_BUILD_PYTHON=OFF -DVTAP_WITH_OPENVSWITCH=OFF >/dev/null
  for target in vtap_core vtap_native vtap_service vtap_api; do
    cmake --build build-alone --target clean >/dev/null
    cmake --build build-alone --target "$target" >/dev/null
    echo "  $target: built alone"
  done
else
  log "each library target built alone: skipped (VTAP_TARGETS_ALONE=0)"
fi

if [[ $SANITIZE_TESTS != 0 ]]; then
  log "C++ tests under ASan/UBSan"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DVTAP_SANITIZE=ON -DVTAP_BUILD_BENCH=OFF \
    -DVTAP_BUILD_PYTHON=OFF "${CMAKE_ARGS[@]}" >/dev/null
  cmake --build build-asan
  ctest --test-dir build-asan --output-on-failure
else
  log "C++ tests under ASan/UBSan: skipped (VTAP_SANITIZE_TESTS=0)"
fi

if [[ $FUZZ_RUNS -gt 0 ]]; then
  log "fuzz targets, $FUZZ_RUNS inputs each"
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DVTAP_BUILD_FUZZ=ON -DVTAP_BUILD_TESTS=OFF -DVTAP_BUILD_BENCH=OFF -DVTAP_BUILD_PYTHON=OFF "${CMAKE_ARGS[@]}" >/dev/null
  cmake --build build-fuzz
  for target in build-fuzz/fuzz/*_fuzz; do
    corpus="tests/data/fuzz/$(basename "$target")"
    mkdir -p build-fuzz/corpus
    work="$(mktemp -d build-fuzz/corpus/run.XXXXXX)"
    [[ -d $corpus ]] && cp -r "$corpus"/. "$work"/
    "$target" -runs="$FUZZ_RUNS" -seed=1 "$work" 2>&1 | tail -n 1
    rm -rf "$work"
  done
else
  log "fuzz targets: skipped (VTAP_FUZZ_RUNS=0)"
fi
log "all tests passed"
