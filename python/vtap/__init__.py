"""libvtap for Python: TAP policies compiled to OpenFlow rules for Open vSwitch.

The native bindings (``vtap._core``) arrive with the Python package issue; for now the
package carries the version and locates the ``vtapctl`` executable installed beside it.
"""

from __future__ import annotations

import os
import shutil
import sysconfig

__all__ = ["__version__", "vtapctl_path"]
__version__ = "0.1.0"


def vtapctl_path() -> str:
    """Path of the ``vtapctl`` executable installed with this package (or on ``PATH``)."""
    scripts = os.path.join(sysconfig.get_path("scripts"), "vtapctl")
    if os.access(scripts, os.X_OK):
        return scripts
    found = shutil.which("vtapctl")
    if found is None:
        raise FileNotFoundError("vtapctl is not installed")
    return found
