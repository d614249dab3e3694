"""Imports the ``vtap`` package with its native ``_core`` for the binding tests.

``scripts/test.sh`` puts ``build/python`` (where CMake builds ``vtap._core`` beside a copy
of the pure-Python package) on ``PYTHONPATH``; an installed wheel works as well.  When the
module cannot be imported the binding tests are skipped, except in CI (env ``CI`` set),
where that is an error (``prerequisites.missing``).
"""

from __future__ import annotations

from prerequisites import missing


def import_vtap():
    try:
        import vtap  # noqa: PLC0415
        import vtap._core  # noqa: F401, PLC0415
    except ImportError as e:
        missing(f"vtap._core is not importable ({e}); build it or set PYTHONPATH=build/python")
    return vtap
