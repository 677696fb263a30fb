"""Extension points called inside the publishing transaction.

Kept as a tiny registry so the feed writer does not depend on federation jobs: whatever is
registered here (for example queueing "heads changed" hints to peers in the outbox) runs in the
same transaction as the entry, so the hint exists exactly when the entry does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from federation.entries import Entry

if TYPE_CHECKING:
    from node.runtime import Node

AfterPublish = Callable[[Session, "Node", Entry], None]
_after_publish: list[AfterPublish] = []


def on_publish(func: AfterPublish) -> AfterPublish:
    """Register ``func`` to run after each own-feed append, inside its transaction."""
    if func not in _after_publish:
        _after_publish.append(func)
    return func


def after_publish(session: Session, node: Node, entry: Entry) -> None:
    for func in _after_publish:
        func(session, node, entry)
