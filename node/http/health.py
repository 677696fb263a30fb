"""``/healthz`` and ``/readyz`` for process supervisors, container health checks and load
balancers (deploy/README.md).

``/healthz`` says the process answers, nothing more: it reads nothing, so a busy database never
gets a healthy process restarted. ``/readyz`` says the node can do its work: the database
answers, its schema is at this build's migration, and the signing key file is readable. A node
that is not ready answers 503 as problem+json naming what is missing, never a path, a URL with a
password or an exception's text. Neither is rate limited or cached.
"""

from __future__ import annotations

import os

from flask import Blueprint, Flask, Response, jsonify
from sqlalchemy import text

from node.http.context import node
from node.http.problems import problem
from node.migrate import current_revision, head_revision
from node.runtime import key_path

bp = Blueprint("health", __name__)


def _no_cache(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive and serving requests."""
    return _no_cache(jsonify({"status": "ok"}))


def readiness_problems() -> list[str]:
    """What keeps the node from doing its work, in words for an operator (empty: ready)."""
    current = node()
    problems = []
    try:
        with current.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(current.db.engine)
        if revision != head_revision():
            problems.append(
                f"database schema is at {revision or 'no revision'}, this build needs "
                f"{head_revision()}: run spazi db upgrade"
            )
    except Exception:  # any failure to reach the database means not ready; details in the log
        problems.append("database not reachable")
    path = key_path(current.settings)
    if not (path.is_file() and os.access(path, os.R_OK)):
        problems.append("signing key file not readable")
    return problems


@bp.get("/readyz")
def readyz() -> Response:
    """200 when the database answers at the current schema and the key is readable, else 503."""
    problems = readiness_problems()
    if problems:
        response = problem(503, "not-ready", "Not ready", "; ".join(problems), checks=problems)
        return _no_cache(response)
    return _no_cache(jsonify({"status": "ready", "schema": head_revision()}))


def init_app(app: Flask) -> None:
    """Register the health endpoints (a part of the core feature record)."""
    app.register_blueprint(bp)
