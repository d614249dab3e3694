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
#     clean, into build-alone/, and, when build/ has libopenvswitch (always in CI),
#     ::openvswitch and ::cluster into build-alone-ovs/, seeded with build/'s already built
#     libopenvswitch: each layer declares what it needs (VTAP_TARGETS_ALONE=0 skips);
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
IN_CI=0
ci="${CI:-}"
case "${ci,,}" in
  "" | 0 | false | no | off) ;;
  *)
    IN_CI=1
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
  # vtap_openvswitch and vtap_cluster need libopenvswitch, which takes minutes to build from
  # source: build-alone-ovs/ gets a copy of build/'s (cp -a keeps the timestamps, so its make
  # finds nothing to do), and between targets only libvtap's own objects and archives are
  # removed (`--target clean` would remove libopenvswitch.a too, a custom command's output).
  ovs_lib=openvswitch/openvswitch/lib/.libs/libopenvswitch.a
  if grep -qx 'VTAP_WITH_OPENVSWITCH:BOOL=ON' build/CMakeCache.txt && [[ -f build/$ovs_lib ]]; then
    if [[ ! -f build-alone-ovs/$ovs_lib || build/$ovs_lib -nt build-alone-ovs/$ovs_lib ]]; then
      rm -rf build-alone-ovs/openvswitch
      mkdir -p build-alone-ovs
      cp -a build/openvswitch build-alone-ovs/
    fi
    cmake -S . -B build-alone-ovs -G Ninja -DCMAKE_BUILD_TYPE=Debug -DVTAP_WERROR=ON -DVTAP_BUILD_TESTS=OFF \
      -DVTAP_BUILD_BENCH=OFF -DVTAP_BUILD_PYTHON=OFF -DVTAP_WITH_OPENVSWITCH=ON >/dev/null
    for target in vtap_openvswitch vtap_cluster; do
      rm -rf build-alone-ovs/CMakeFiles/vtap_{core,native,service,api,openvswitch,cluster}.dir build-alone-ovs/libvtap_*.a
      cmake --build build-alone-ovs --target "$target" >/dev/null
      echo "  $target: built alone"
    done
  elif [[ $IN_CI == 1 ]]; then
    log "build/ has no libopenvswitch, which CI requires"
    exit 1
  else
    echo "  vtap_openvswitch, vtap_cluster: not built alone (build/ has no libopenvswitch)"
  fi
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
