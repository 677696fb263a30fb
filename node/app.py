"""The Flask application factory."""

from __future__ import annotations

import importlib
import logging
import secrets
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from node import features, jobs
from node.http import cors, headers, problems
from node.keystore import finish_pending_rotation
from node.migrate import current_revision, head_revision
from node.network import recovery
from node.runtime import open_node
from node.startup import registry_problems


class NotReady(RuntimeError):
    """The data dir or database is not in a state the node can serve from."""


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app for the node in ``config['data_dir']`` (or ``SPAZI_DATA_DIR``).

    ``config`` holds setting overrides (lower-case names from ``node.settings``), Flask options
    (upper-case) and, for tests, ``clock`` (a function returning Unix seconds) and ``key``. A hub
    (``node.hub``) also passes ``environ`` (the variables settings may come from; ``{}``: the
    data dir's ``spazi.toml`` only) and ``hosted`` (this app is one of several in the process).
    """
    options = dict(config or {})
    clock = options.pop("clock", None)
    key = options.pop("key", None)
    environ = options.pop("environ", None)
    hosted = bool(options.pop("hosted", False))
    flask_options = {k: v for k, v in options.items() if k.isupper()}
    overrides = {k: v for k, v in options.items() if not k.isupper()}
    missing = registry_problems()
    if missing:
        # A kind with no owner would be stored but never shown (or refused at random later).
        raise NotReady("features do not cover protocol v1: " + "; ".join(missing))
    node = open_node(overrides=overrides, clock=clock, key=key, environ=environ)
    node.hosted = hosted
    revision, wanted = current_revision(node.db.engine), head_revision()
    if revision != wanted:
        node.close()
        raise NotReady(
            f"database is at revision {revision or 'none'}, this version needs {wanted}: "
            "run `spazi db upgrade`"
        )

    app = Flask(__name__)
    settings = node.settings
    if not settings["secret_key"] and not flask_options.get("TESTING"):
        node.close()
        # A per-process random secret would break logins and CSRF under several workers.
        raise NotReady(
            "no secret_key in spazi.toml: add one, e.g. the output of "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    logging.basicConfig(level=settings["log_level"].upper())
    app.config.update(
        SECRET_KEY=settings["secret_key"] or secrets.token_urlsafe(32),  # tests only
        MAX_CONTENT_LENGTH=settings["max_request_bytes"],
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=node.url.startswith("https://"),
        JSON_SORT_KEYS=False,
        SPAZI=settings,
    )
    app.config.update(flask_options)
    if settings["proxy_hops"]:
        # Only the proxies we run may say who the client is; the login throttle counts per
        # client address, and a header from anyone else would let a guesser pick a new one.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings["proxy_hops"])  # type: ignore[method-assign]
    app.extensions["spazi"] = node

    finish_pending_rotation(node)
    if not app.testing:  # tests call node.network.recovery.start_check themselves
        # A node restored from an older backup must learn what its peers hold of its own feed
        # before it appends (protocol.md §Feeds, "Writing"); publishing waits for this check.
        recovery.start_check(node)
    problems.init_app(app)
    headers.init_app(app)
    cors.init_app(app)
    # Each feature's web parts, as its record lists them (ARCHITECTURE.md §Registries and
    # features); then the scheduler, which runs every feature's jobs.
    for module in features.web_modules():
        importlib.import_module(module).init_app(app)
    jobs.init_app(app)
    return app
