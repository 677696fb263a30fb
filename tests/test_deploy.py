"""deploy/: the systemd units pass ``systemd-analyze verify`` (where the tool exists), the
compose file wires PostgreSQL, the node and the worker with health checks that mean something,
and ``spazi db status`` (the worker's health check) answers 0 only for a usable, current
database."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from node.cli.main import main
from tests.support import make_node

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
VENV = Path(sys.executable).parent.parent


@pytest.mark.parametrize(
    "unit",
    ["spazi.service", "spazi-worker.service", "spazi-hub.service", "spazi-hub-worker.service"],
)
def test_systemd_units_verify(unit: str, tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed here: the units cannot be verified")
    # The units name the install paths of deploy/README.md; here the same files live in the
    # checkout and its venv, so those are put in (systemd checks the commands exist).
    text = (DEPLOY / unit).read_text()
    text = text.replace("/opt/spazi/.venv", str(VENV)).replace("/opt/spazi", str(ROOT))
    (tmp_path / unit).write_text(text)
    done = subprocess.run(
        [tool, "verify", str(tmp_path / unit)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # no unknown keys or other warnings either


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_wires_postgres_node_and_worker_with_health_checks() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "node", "worker"}
    db, node, worker = services["postgres"], services["node"], services["worker"]

    assert db["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert "/readyz" in " ".join(node["healthcheck"]["test"])
    assert worker["healthcheck"]["test"] == ["CMD", "spazi", "db", "status"]
    assert worker["command"] == ["spazi", "worker"]

    assert node["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert worker["depends_on"]["node"]["condition"] == "service_healthy"

    # The node and the worker share the data dir (the key) and the database the postgres
    # service creates; only the worker runs the jobs.
    env = db["environment"]
    url = f"postgresql+psycopg://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@postgres:5432/"
    for service in (node, worker):
        assert service["environment"]["SPAZI_DATABASE_URL"] == url + env["POSTGRES_DB"]
        assert service["environment"]["SPAZI_SCHEDULER"] == "false"
        assert service["environment"]["SPAZI_DATA_DIR"] == "/data"
        assert "data:/data" in service["volumes"]
        assert (ROOT / service["build"]["dockerfile"]).is_file()
    assert node["environment"]["SPAZI_BIND"] == "0.0.0.0:8080"
    assert node["ports"] == ["127.0.0.1:8080:8080"]  # the TLS proxy in front, not the world


def test_compose_config_is_accepted_by_docker_compose() -> None:
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=30
        ).returncode
    ):
        pytest.skip("docker compose is not installed here: the file is checked by the test above")
    done = subprocess.run(
        [docker, "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_db_status_is_zero_only_for_a_current_reachable_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    space = make_node(tmp_path)
    data_dir = str(space.data_dir)
    assert main(["--data-dir", data_dir, "db", "status"]) == 0
    assert "(newest)" in capsys.readouterr().out

    with space.node.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'older'")
    assert main(["--data-dir", data_dir, "db", "status"]) == 1
    assert "run spazi db upgrade" in capsys.readouterr().err

    monkeypatch.setenv("SPAZI_DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/spazi.db")
    assert main(["--data-dir", data_dir, "db", "status"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "the database cannot be used" in err and "Traceback" not in err
