"""Which code acts on each inbox message type: one handler per type, registered by its owner.

The message types themselves (members, delivery policy) are data in :mod:`federation.messages`;
this registry maps each type's name to the node code that handles it. A type either has exactly
one handler or an explicit refusal (a type protocol.md §Inbox specifies that this node does not
handle yet, refused with ``unknown-message-type``); :func:`check_handlers` finds a type with
neither, so a type added to the protocol can't be forgotten silently.

Registration is explicit (no import side effects): whoever builds the registry calls the owners'
registration functions, then freezes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from federation.messages import MessageTypes
from federation.registry import Registry
from federation.version import V1

if TYPE_CHECKING:
    from node.runtime import Node

Message = Mapping[str, Any]
Handle = Callable[[Session, "Node", Message], dict[str, Any]]
"""Acts on a verified message inside the inbox's write transaction; returns the JSON answer.
Raising refuses the message and rolls the transaction back, so a refused message changes nothing."""
Prepare = Callable[["Node", Message], None]
"""Outbound work for a verified message, run before the write transaction so no database lock is
held across the network (for instance confirming the URL a ``peer.request`` names)."""


@dataclass(frozen=True)
class Handler:
    """The node code for one message type."""

    handle: Handle
    prepare: Prepare | None = None


class InboxHandlers:
    """Message type name → :class:`Handler` or refusal; each type once, closed once frozen."""

    def __init__(self, types: MessageTypes = V1.message_types) -> None:
        self.types = types
        # One entry per type: its Handler, or the reason (a str) it is refused.
        self._registry = Registry("inbox message type")
        self._frozen = False

    def register(self, kind: str, handle: Handle, *, prepare: Prepare | None = None) -> None:
        """Make ``handle`` (and ``prepare``) the code for messages of type ``kind``."""
        self._claim(kind, Handler(handle, prepare))

    def refuse(self, kind: str, why: str) -> None:
        """Declare that this node does not handle ``kind`` (refused: ``unknown-message-type``)."""
        self._claim(kind, why)

    def _claim(self, kind: str, entry: Handler | str) -> None:
        if kind not in self.types:
            raise ValueError(f"{kind} is not an inbox message type (federation.messages)")
        # Raises on a second handler or refusal for one type, and after freeze.
        self._registry.register(kind, entry)

    def freeze(self) -> None:
        """Close the registry; ``receive`` only reads a frozen one."""
        self._registry.freeze()
        self._frozen = True

    @property
    def frozen(self) -> bool:
        """True once :meth:`freeze` was called."""
        return self._frozen

    def handler_for(self, kind: str) -> Handler | None:
        """The handler for ``kind``; None when the type is refused or has no handler."""
        entry = self._registry.items().get(kind)
        return entry if isinstance(entry, Handler) else None

    def handled(self) -> frozenset[str]:
        """The types with a handler."""
        return frozenset(k for k, v in self._registry.items().items() if isinstance(v, Handler))

    def refused(self) -> Mapping[str, str]:
        """Type → why this node refuses it."""
        return {k: v for k, v in self._registry.items().items() if isinstance(v, str)}


class MissingHandlers(RuntimeError):
    """Some message types have neither a handler nor an explicit refusal."""

    def __init__(self, kinds: list[str]) -> None:
        self.kinds = kinds
        super().__init__(f"inbox message types with no handler and no refusal: {', '.join(kinds)}")


def missing_handlers(registry: InboxHandlers) -> list[str]:
    """The message types of ``registry.types`` with neither a handler nor a refusal, sorted."""
    covered = registry.handled() | registry.refused().keys()
    return sorted(t.name for t in registry.types if t.name not in covered)


def check_handlers(registry: InboxHandlers) -> None:
    """Start-up check: raise :class:`MissingHandlers` unless every message type is covered."""
    missing = missing_handlers(registry)
    if missing:
        raise MissingHandlers(missing)
