"""One coworking space's Spazi node: server, storage, jobs and the ``spazi`` CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from node.version import __version__

__all__ = ["__version__", "create_app"]

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The WSGI application (``gunicorn 'node:create_app()'``); see :mod:`node.app`."""
    from node.app import create_app as _create_app

    return _create_app(config)
