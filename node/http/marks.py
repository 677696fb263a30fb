"""What a blueprint or a view declares about its answers, where it is defined: a feature's pages
and API reads take part in conditional requests and CORS without an edit to a central list
(ARCHITECTURE.md §Network pages, README §Using the node from the space's own website).

- :func:`etagged`: its GETs carry an ETag of their body, and ``304`` when the client names it
  (node/web/conditional.py);
- :func:`remembered`: etagged, and the ETag remembered under the network's version, answered
  before anything is rendered (node/web/conditional.py);
- :func:`public_read`: other sites may read it from a browser (node/http/cors.py).

Marks go on a ``Blueprint`` (every route of it) or on a view function (that route alone).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, current_app, request

ETAGGED = "spazi_etagged"
REMEMBERED = "spazi_remembered"
PUBLIC_READ = "spazi_public_read"

Target = TypeVar("Target", Blueprint, Callable[..., Any])


def etagged(target: Target) -> Target:
    """Declare that the GETs of ``target`` carry an ETag of their body and are answered ``304``
    when the client names it. For public pages and reads whose body depends only on what they
    show: never for a form holding a CSRF token (the token changes the body every time)."""
    setattr(target, ETAGGED, True)
    return target


def remembered(target: Target) -> Target:
    """:func:`etagged`, with the ETag remembered under the network's version and time slot, so
    a client naming it is answered ``304`` before anything is rendered: for what depends on the
    network's state and the time only (the network's pages, calendar and feed)."""
    setattr(target, REMEMBERED, True)
    return target


def public_read(target: Target) -> Target:
    """Declare that other sites may read ``target`` from a browser (CORS, GET and HEAD only,
    no credentials). Only for reads that hold nothing private."""
    setattr(target, PUBLIC_READ, True)
    return target


def marked(mark: str, endpoint: str | None = None) -> bool:
    """Whether the blueprint or view of ``endpoint`` (default: this request's) carries ``mark``."""
    endpoint = request.endpoint if endpoint is None else endpoint
    if not endpoint:
        return False
    blueprint = current_app.blueprints.get(endpoint.rpartition(".")[0])
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(blueprint, mark, False) or getattr(view, mark, False))
