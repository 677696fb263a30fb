"""The start-up checks every entry point runs before it serves or writes anything.

Every entry type of the protocol version must have one projector and every inbox message type
one handler or an explicit refusal: a kind without an owner would otherwise be stored but never
shown, or fail at the first page that holds one.

:func:`registry_problems` builds the registries and checks them, and checks that each feature's
record declares exactly what its code registers; ``create_app`` and ``spazi worker`` (long-lived
processes that answer inbox messages) run it. :func:`declared_problems` checks the records'
declarations alone, importing no handler or projector: the check of every CLI command that
writes, for which building the registries was most of the start-up (ARCHITECTURE.md §Registries
and features). The full check, here and in tests/node/test_features.py, keeps the two equal.
"""

from __future__ import annotations

from federation.version import V1
from node import features


def declared_problems() -> list[str]:
    """What the features' declarations leave uncovered in protocol v1 (empty when all is
    well), from the records alone."""
    return features.declared_problems(V1)


def registry_problems() -> list[str]:
    """What the registered features leave uncovered (empty when all is well), declarations
    included; builds and freezes the registries as a side effect, so they are complete before
    the first request."""
    # Imported here: the inbox imports every feature's handlers, which declared_problems avoids.
    from node.network import inbox
    from node.network.handlers import InboxHandlers, MissingHandlers

    problems = declared_problems() + features.check(V1)
    try:
        inbox.default_handlers()
    except MissingHandlers as exc:
        problems.append(str(exc))
    for feature in features.FEATURES:
        registered: set[str] = set()
        if feature.inbox:
            scratch = InboxHandlers()
            features.resolve(feature.inbox)(scratch)
            registered = set(scratch.handled() | scratch.refused().keys())
        problems += features.declaration_drift(
            feature.name, "messages", feature.messages, registered
        )
    return list(dict.fromkeys(problems))  # a kind missing both ways is said once
