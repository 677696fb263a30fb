"""The start-up check every entry point runs before it serves or writes anything.

``create_app`` and the CLI (``spazi`` commands that open the node, ``spazi worker`` among them)
call :func:`registry_problems`: every entry type of the protocol version must have one
projector and every inbox message type one handler or an explicit refusal. A kind without an
owner would otherwise be stored but never shown, or fail at the first page that holds one.
"""

from __future__ import annotations

from federation.version import V1
from node import features
from node.network import inbox
from node.network.handlers import MissingHandlers


def registry_problems() -> list[str]:
    """What the registered features leave uncovered (empty when all is well); builds and
    freezes the registries as a side effect, so they are complete before the first request."""
    problems = features.check(V1)
    try:
        inbox.default_handlers()
    except MissingHandlers as exc:
        problems.append(str(exc))
    return problems
