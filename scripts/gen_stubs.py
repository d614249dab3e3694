#!/usr/bin/env python3
"""Regenerates python/vtap/_core.pyi from the built extension with pybind11-stubgen.

    PYTHONPATH=build/python python3 scripts/gen_stubs.py

Arguments the bindings take as "str or value object" are py::object in C++, which
pybind11-stubgen can only call typing.Any; the precise types are put back here, and the
output is made to pass mypy (enum members, __eq__ signatures, exceptions). Check with
``PYTHONPATH=build/python MYPYPATH=python python3 -m mypy.stubtest vtap._core`` (what it
still reports is pybind11's: metaclass, *args constructors, __pybind11_native_enum__).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT = REPO_ROOT / "python" / "vtap" / "_core.pyi"

MAC = "MacAddress | str"
IP = "Ipv4Address | Ipv6Address | str"
IPV4 = "Ipv4Address | str"
IPV6 = "Ipv6Address | str"
MATCH = "Match | str"

# (class or "" for module level, function) -> {parameter: type}; "return" for the result.
TYPES = {
    ("Endpoint", "__init__"): {"mac": f"{MAC} | None", "ip": f"{IP} | None"},
    ("Endpoint", "ip"): {"return": "Ipv4Address | Ipv6Address | None", "arg1": f"{IP} | None"},
    ("Endpoint", "mac"): {"arg1": f"{MAC} | None"},
    ("TunnelTarget", "__init__"): {"remote_ip": IPV4},
    ("TapPolicy", "__init__"): {"filter": f"{MATCH} | None"},
    ("TapPolicy", "filter"): {"arg1": f"{MATCH} | None"},
    ("Host", "__init__"): {"mac": MAC, "ip": f"{IPV4} | None", "ipv6": f"{IPV6} | None"},
    ("Host", "ip"): {"arg1": f"{IPV4} | None"},
    ("Host", "ipv6"): {"arg1": f"{IPV6} | None"},
    ("Host", "mac"): {"arg1": MAC},
    ("Topology", "find_host_by_ip"): {"ip": IP},
    ("Topology", "find_host_by_mac"): {"mac": MAC},
    ("SwitchConnection", "__enter__"): {"return": "SwitchConnection"},
    ("", "explain"): {"packet": MATCH},
    ("", "simulate"): {"packet": MATCH},
}


# The exception classes are made with PyErr_NewException under the name vtap.X, so stubgen
# imports them from vtap; declare them here instead, with their attributes.
EXCEPTIONS = '''
class Error(RuntimeError):
    """Root of every error libvtap raises; the message is the C++ what()."""

class ParseError(Error):
    """Text that does not parse: an address, a match, a JSON document, a target."""

class TopologyError(Error):
    """An inconsistent topology: duplicate names, dangling links, unknown switch."""

class PolicyError(Error):
    """A policy that cannot be translated."""
    policy_id: int
    field: str

class TransportError(Error):
    """A connection failed, timed out, or the switch refused a message."""
    error_code: int
    category: str
    failed_index: int | None

class OwnershipError(Error):
    """A group or meter id in libvtap's range is used by another controller; nothing was sent."""
'''


def fix(text: str) -> str:
    text = re.sub(r"^from vtap import \w+\n", "", text, flags=re.M)
    text = re.sub(r"^__all__: list\[str\] = .*\n", "", text, flags=re.M)  # _core has no __all__
    # Right after the imports.
    text = re.sub(r"(^import typing\n)", r"\1" + EXCEPTIONS.replace("\\", "\\\\"), text, count=1, flags=re.M)
    # Comparisons take any object (they return NotImplemented for other types).
    text = re.sub(r"def (__eq__|__ne__)\(self, arg0: [\w.]+\) -> bool:", r"def \1(self, other: object) -> bool:", text)
    text = text.replace("__hash__: typing.ClassVar[None] = None",
                        "__hash__: typing.ClassVar[None]  # type: ignore[assignment]")
    out, cls, enum_body, skip = [], "", None, 0  # enum_body: indentation of an enum's members
    for line in text.splitlines():
        if skip:
            skip -= 1
            continue
        indent = len(line) - len(line.lstrip())
        if enum_body is not None and line.strip() and indent < enum_body:
            enum_body = None
        e = re.match(r"(\s*)class \w+\(enum\.Enum\)", line)
        if e:
            enum_body = len(e.group(1)) + 4
        elif enum_body is not None:
            # Enum members are "name = ..." in a stub; stubgen's __new__ is not the enum's.
            line = re.sub(r"^(\s+)(\w+): typing\.ClassVar\[[\w.]+\]$", r"\1\2 = ...", line)
            if re.match(r"\s+def __new__\(cls, value\):", line):
                out.pop()  # the @classmethod before it
                skip = 1   # the "..." body
                continue
        m = re.match(r"class (\w+)", line)
        if m:
            cls = m.group(1)
        elif re.match(r"(def|[A-Za-z_])", line):
            cls = ""  # back at module level
        d = re.match(r"\s*def (\w+)\(", line)
        rules = TYPES.get((cls, d.group(1))) if d else None
        if rules:
            for param, type_ in rules.items():
                if param == "return":
                    line = re.sub(r"-> typing\.Any:", f"-> {type_}:", line)
                else:
                    line = re.sub(rf"\b{param}: typing\.Any", f"{param}: {type_}", line)
        out.append(line)
    return "\n".join(out) + "\n"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pybind11_stubgen", "vtap._core", "-o", tmp,
                        "--enum-class-locations", "Direction|Delivery|Forwarding:vtap._core",
                        "--enum-class-locations", "Unit:vtap._core.RateLimit"], check=True)
        text = (Path(tmp) / "vtap" / "_core.pyi").read_text()
    OUT.write_text(fix(text))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
