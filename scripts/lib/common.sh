# Shared by scripts/test.sh and scripts/demo.sh: installing what is missing, idempotently,
# and building. Source it from the repository root.
#
# Installing is idempotent: nothing is downloaded when everything is present, and the
# system Open vSwitch service is never started or stopped.

PYTHON="${PYTHON:-python3}"
# openvswitch-source (+ python3, libssl-dev, autotools) builds libopenvswitch for the
# libopenvswitch transport and OVSDB discovery (CMake option VTAP_WITH_OPENVSWITCH).
# netsniff-ng (trafgen), tcpreplay and libndpi-bin (ndpiReader) run the paper's experiments.
# ovn-central (ovsdb schemas, ovn-northd, ovn-nbctl) and ovn-host (ovn-controller) run the
# private OVN of vtap.ovn that tests/python/test_ovn_coexistence.py puts libvtap beside
# (their system services are never started: see install_apt_packages).
# chromium and chromium-driver: tests/python/test_gui.py drives Debian's Chromium headless (no browser download).
# curl: scripts/demo.sh and the README ask vtapd's API with it; openssl makes the TLS test's certificate.
# tshark decodes the GRE and ERSPAN encapsulation of tap mirrors (tests/python/test_tap_mirrors.py): an oracle we did not write.
APT_PACKAGES=(build-essential cmake ninja-build g++ clang libclang-rt-14-dev libgtest-dev libbenchmark-dev libssl-dev
              nlohmann-json3-dev libboost-dev openvswitch-switch tcpdump iproute2 ethtool iputils-ping
              pkg-config python3-dev openvswitch-source python3 autoconf automake libtool
              netsniff-ng tcpreplay libndpi-bin ovn-central ovn-host chromium chromium-driver tshark curl openssl)
# pip requirements for $PYTHON, as "name" or "name>=version" (PyPI distribution names; what
# is installed is checked by distribution metadata, so import names do not matter).
# pybind11 >= 3 builds vtap._core (Debian 12's pybind11-dev is 2.10: too old for native enums).
# nbclient, nbformat, ipykernel, matplotlib and tqdm execute the notebooks (notebooks/) headless.
# mypy (mypy.stubtest) and pybind11-stubgen: tests/python/test_stubs.py checks the stubs against vtap._core.
# requests, prometheus-client (its parser is the oracle of /metrics), schemathesis (property tests
# against docs/openapi.json) and openstacksdk (the TaaS client) test vtapd's API.
# playwright drives the GUI in Debian's chromium (tests/python/test_gui.py, scripts/gui_screenshot.py).
PIP_MODULES=(pytest scapy "pybind11>=3.0" nbclient nbformat ipykernel matplotlib tqdm "mypy>=2.4" "pybind11-stubgen>=3.0"
             requests prometheus-client "schemathesis>=4.0" openstacksdk playwright)

step() { printf '\n=== %s\n' "$*"; }
log() { printf '==> %s\n' "$*" >&2; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        log "need root to run: $*"
        return 1
    fi
}

install_apt_packages() {
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
            missing+=("$pkg")
        fi
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        return 0
    fi
    log "installing apt packages: ${missing[*]}"
    # Installing openvswitch-switch would start the system OVS service: a
    # policy-rc.d answering 101 ("action forbidden") keeps invoke-rc.d and
    # deb-systemd-invoke from starting anything.  Only a policy we created
    # ourselves is removed again.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e $policy ]]; then
        as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
        created_policy=1
    fi
    local status=0
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || status=$?
    if [[ $status -eq 0 ]]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "${missing[@]}" || status=$?
    fi
    if [[ $created_policy -eq 1 ]]; then
        as_root rm -f "$policy"
    fi
    return $status
}

# pip_module_present REQ: whether the distribution REQ ("name" or "name>=X.Y") is
# installed for $PYTHON, at that version or later.
pip_module_present() {
    "$PYTHON" - "$1" <<'PY' >/dev/null 2>&1
import importlib.metadata as md, re, sys
name, _, minimum = sys.argv[1].partition(">=")
def version(text):
    return tuple(int(n) for n in re.findall(r"\d+", text)[:3])
try:
    have = md.version(name.strip())
except md.PackageNotFoundError:
    sys.exit(1)
sys.exit(0 if not minimum or version(have) >= version(minimum) else 1)
PY
}

install_pip_modules() {
    local missing=() mod
    for mod in "${PIP_MODULES[@]}"; do
        if ! pip_module_present "$mod"; then
            missing+=("$mod")
        fi
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        return 0
    fi
    log "installing Python modules: ${missing[*]}"
    # Debian's own interpreter is "externally managed" (PEP 668); a pyenv or
    # venv interpreter is not.  Try the polite way first.
    "$PYTHON" -m pip install -q "${missing[@]}" \
        || "$PYTHON" -m pip install -q --break-system-packages "${missing[@]}"
}

# build_project DIR [CMAKE_ARG...]: configures (once) and builds the project into DIR.
build_project() {
    local BUILD_DIR=$1
    shift
    local cache="$BUILD_DIR/CMakeCache.txt"
    if [[ -f $cache ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$cache"; then
        log "$BUILD_DIR/ was configured with another generator; starting it afresh"
        rm -rf "$BUILD_DIR"
    fi
    log "configuring ($BUILD_DIR/, RelWithDebInfo, warnings are errors)"
    # vtap._core is built for $PYTHON (the one that runs pytest), not whatever CMake finds first.
    local python_exe
    python_exe="$("$PYTHON" -c 'import sys; print(sys.executable)')"
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVTAP_WERROR=ON \
        -DPython_EXECUTABLE="$python_exe" "$@"
    log "building"
    cmake --build "$BUILD_DIR"
}

# install_dependencies: every apt package and Python module the scripts need.
install_dependencies() {
    install_apt_packages
    install_pip_modules
}
