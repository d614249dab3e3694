#!/usr/bin/env python3
"""Regenerates python/vtap/_core.pyi from the built extension with pybind11-stubgen.

    PYTHONPATH=build/python python3 scripts/gen_stubs.py

Every type in the stubs comes from the bindings' own signatures (precise C++ argument types,
pybind11/typing.h), so what is done here is only what pybind11-stubgen cannot know or gets
wrong for a type checker:

* the exception classes are made by PyErr_NewException as ``vtap.Error`` etc., so stubgen
  imports them from ``vtap``; they are declared here from the module's own classes, with the
  attributes their instances get (EXCEPTION_ATTRIBUTES);
* members of ``enum.Enum`` classes are written ``name = ...`` (stubgen writes
  ``name: ClassVar[E]``, which the typing spec reads as "not a member"), without stubgen's
  ``__new__``;
* ``__hash__ = None`` of unhashable classes gets typeshed's ``# type: ignore[assignment]``;
* in a class with a method named like a builtin (``Service.list``), annotations name the
  builtin as ``builtins.list``.

``tests/python/test_stubs.py`` checks the result with ``mypy`` and ``mypy.stubtest``
(``tests/python/stubtest_allowlist.txt`` lists what is pybind11's own), and that this script
would write the file as it is.
"""

from __future__ import annotations

import builtins
import importlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT = REPO_ROOT / "python" / "vtap" / "_core.pyi"

# pybind11-stubgen options: where the enums of default values (`<Direction.forward: 0>`) live,
# and the reprs of default values that are valid Python (`IdRange(3758096384, 4026531839)`).
STUBGEN_OPTIONS = [
    "--enum-class-locations", "Direction|Delivery|Forwarding:vtap._core",
    "--enum-class-locations", "Unit:vtap._core.RateLimit",
    "--print-safe-value-reprs", r"IdRange\(\d+, \d+\)",
]

# What instances of the exceptions carry (errors.cpp sets it when raising): not on the classes.
EXCEPTION_ATTRIBUTES = {
    "PolicyError": {"policy_id": "int", "field": "str"},
    "TransportError": {"error_code": "int", "category": "str", "failed_index": "int | None"},
}


def exceptions() -> str:
    """The exception classes of vtap._core, with their docstrings and instance attributes."""
    core = importlib.import_module("vtap._core")
    out = []
    for name, cls in vars(core).items():  # in the order they were made: bases first
        if isinstance(cls, type) and issubclass(cls, BaseException):
            out.append(f"class {name}({cls.__bases__[0].__name__}):\n"
                       f'    """\n    {(cls.__doc__ or "").strip()}\n    """\n'
                       + "".join(f"    {a}: {t}\n" for a, t in EXCEPTION_ATTRIBUTES.get(name, {}).items()))
    return "".join(out)


def fix(text: str) -> str:
    """pybind11-stubgen's output as mypy and stubtest accept it (see the module docstring)."""
    text = re.sub(r"^from vtap import \w+\n", "", text, flags=re.M)
    text = re.sub(r"^(import typing\n)", lambda m: m.group(1) + exceptions(), text, count=1, flags=re.M)
    text = text.replace("__hash__: typing.ClassVar[None] = None",
                        "__hash__: typing.ClassVar[None]  # type: ignore[assignment]")
    lines = text.splitlines()
    out: list[str] = []
    enum_body: int | None = None  # indentation of the members of the enum being read
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        indent = len(line) - len(line.lstrip())
        if enum_body is not None and line.strip() and indent < enum_body:
            enum_body = None
        header = re.match(r"(\s*)class \w+\(enum\.Enum\)", line)
        if header:
            enum_body = len(header.group(1)) + 4
        elif enum_body is not None and indent == enum_body:
            if line.strip() == "@classmethod" and lines[i].strip() == "def __new__(cls, value):":
                i += 2  # the def and its "..."
                continue
            line = re.sub(r"^(\s+)(\w+): typing\.ClassVar\[[\w.]+\]$", r"\1\2 = ...", line)
        out.append(line)
    return qualify_shadowed_builtins("\n".join(out) + "\n")


def qualify_shadowed_builtins(text: str) -> str:
    """`list[...]` becomes `builtins.list[...]` in a class that has a method called `list`."""
    # Top-level blocks: a class with its indented body, or one module-level line.
    blocks = re.split(r"(?m)^(?=\S)", text)
    changed = False
    for i, block in enumerate(blocks):
        if not block.startswith("class "):
            continue
        methods = set(re.findall(r"(?m)^    def (\w+)\(", block))
        for name in sorted(methods & set(dir(builtins)) - {n for n in methods if n.startswith("_")}):
            block = re.sub(rf"(?<![\w.]){name}\[", f"builtins.{name}[", block)
            changed = True
        blocks[i] = block
    text = "".join(blocks)
    if changed:
        text = re.sub(r"(?m)^import collections\.abc$", "import builtins\nimport collections.abc", text, count=1)
    return text


def generate() -> str:
    """The stub text for the vtap._core that is importable now."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pybind11_stubgen", "vtap._core", "-o", tmp, *STUBGEN_OPTIONS],
                       check=True)
        return fix((Path(tmp) / "vtap" / "_core.pyi").read_text())


def main() -> int:
    OUT.write_text(generate())
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
