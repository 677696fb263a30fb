"""``/healthz`` and ``/readyz``: alive, ready, and not ready with what is missing (no secrets)."""

from __future__ import annotations

import os

from sqlalchemy import text

from node.runtime import key_path
from tests.support import SpaceNode


def test_a_working_node_is_alive_and_ready(space: SpaceNode) -> None:
    alive = space.client.get("/healthz")
    assert alive.status_code == 200 and alive.get_json() == {"status": "ok"}
    ready = space.client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    assert ready.headers["Cache-Control"] == "no-store"


def test_a_schema_behind_the_build_is_not_ready(space: SpaceNode) -> None:
    with space.node.db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    answer = space.client.get("/readyz")
    assert answer.status_code == 503
    doc = answer.get_json()
    assert doc["type"] == "urn:spazi:problem:not-ready"
    assert "spazi db upgrade" in doc["detail"]
    assert space.client.get("/healthz").status_code == 200  # alive all the same


def test_an_unreadable_key_is_not_ready_and_the_answer_names_no_path(space: SpaceNode) -> None:
    path = key_path(space.node.settings)
    moved = path.with_name("moved.key")
    os.rename(path, moved)
    try:
        answer = space.client.get("/readyz")
        assert answer.status_code == 503
        text_ = answer.get_data(as_text=True)
        assert "signing key file not readable" in text_
        assert str(path.parent) not in text_
    finally:
        os.rename(moved, path)
    assert space.client.get("/readyz").status_code == 200


def test_health_endpoints_are_not_rate_limited(space: SpaceNode) -> None:
    for _ in range(200):
        assert space.client.get("/healthz").status_code == 200
