"""The JSON API against its own OpenAPI document: schemathesis generates requests from the
document served by a live node process (real HTTP on loopback), with an admin token and without
one, and every standard check must hold: no server error, only documented statuses, content
types and headers, and schema-violating requests refused.

One check is left out, ``positive_data_acceptance`` (every schema-valid request accepted): some
of the node's rules depend on what is stored (a change's price needs the stored event's currency,
an end after the stored start, an unknown id is 404) or on the calendar (31 February), which an
OpenAPI 3.0 document cannot say; those refusals are problem+json with an ``errors`` map, tested
on their own in tests/node/test_api_bad_input.py. Examples are bounded and the seed fixed, so a
run takes well under a minute and a failure can be replayed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.processes import NodeProcess, make_space, spazi

pytestmark = pytest.mark.e2e

ST = Path(sys.executable).with_name("st")
EXAMPLES = "15"
SEED = "20261204"


@pytest.fixture
def node(tmp_path: Path):  # type: ignore[no-untyped-def]
    if not ST.exists():
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    data, port, _ = make_space(tmp_path, "Contract Hub")
    process = NodeProcess(data, port, env={"SPAZI_SCHEDULER": "false"})
    yield process
    process.stop()


def _schemathesis(url: str, *headers: str) -> subprocess.CompletedProcess[str]:
    args = [str(ST), "run", f"{url}/api/v1/openapi.json", "--max-examples", EXAMPLES,
            "--seed", SEED, "--exclude-checks", "positive_data_acceptance",
            "--no-color"]  # fmt: skip
    for header in headers:
        args += ["-H", header]
    return subprocess.run(args, capture_output=True, text=True, timeout=600)


def test_the_api_keeps_its_contract_with_a_token(node: NodeProcess) -> None:
    token = spazi("admin", "token", "create", "--name", "contract", data_dir=node.data_dir)
    done = _schemathesis(node.url, f"Authorization: Bearer {token.stdout.strip()}")
    assert done.returncode == 0, done.stdout[-6000:]
    assert " passed" in done.stdout and "failed" not in done.stdout.split("SUMMARY")[-1]


def test_the_api_keeps_its_contract_without_a_token(node: NodeProcess) -> None:
    done = _schemathesis(node.url)
    assert done.returncode == 0, done.stdout[-6000:]
