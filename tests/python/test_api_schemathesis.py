"""schemathesis (property-based, from the served ``/openapi.json``) against a live vtapd on a
real ovs-vswitchd, as an administrator and as a tenant: no 5xx, and every status, content type
and body conforms to the spec. The event stream, which never ends, is left out.
"""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from prerequisites import missing
from test_api import api  # noqa: F401  (the fixture)
from vtapd import ADMIN, TENANT_B, TOKENS

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def schemathesis() -> list[str]:
    found = shutil.which("schemathesis") or shutil.which("st")
    if found is None:
        missing("schemathesis is not installed (scripts/test.sh installs it from PyPI)")
    return [found]


@pytest.mark.parametrize("token", [ADMIN, TENANT_B], ids=["administrator", "tenant"])
def test_the_api_conforms_to_its_spec(api, token, tmp_path):  # noqa: F811
    daemon, _, _ = api
    result = subprocess.run(
        [*schemathesis(), "run", f"{daemon.url}/openapi.json", "--header", f"Authorization: Bearer {token}",
         "--checks", CHECKS, "--max-examples", "25", "--seed", "1", "--workers", "1",
         "--exclude-operation-id", "streamEvents", "--request-timeout", "30",
         "--report", "junit", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    assert daemon.alive(), daemon.log.read_text(errors="replace")[-4000:]
    daemon.stop()
    log = daemon.log.read_text(errors="replace")
    assert not any(t in log for t in TOKENS)
    print(report, file=sys.stderr)
