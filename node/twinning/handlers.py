"""The twinning feature's inbox handlers (protocol.md §Inbox, "Agreement messages").

Each runs after the inbox's checks (shape, block, HTTP signature, sender binding, replay) inside
its write transaction, and calls the use cases of :mod:`node.twinning.agreements`; a refusal
raises and changes nothing. ``visit.report`` records a guest day a host counted
(:mod:`node.twinning.receipts`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from node.network.handlers import InboxHandlers, Message
from node.runtime import Node
from node.twinning import agreements, receipts


def agreement_propose(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """A partner proposes an agreement: kept for our administrator's answer."""
    row = agreements.receive_proposal(session, node, message["from"], message["agreement"])
    return {"id": row.id, "state": "proposed"}


def agreement_accept(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """The partner countersigned our proposal."""
    row = agreements.receive_accept(session, node, message["from"], message["agreement"])
    return {"id": row.id, "state": row.state}


def agreement_reject(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """The partner turned our proposal down."""
    row = agreements.receive_reject(
        session, node, message["from"], message["id"], message.get("reason")
    )
    return {"id": row.id, "state": row.state}


def visit_report(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """A host counted a guest day of one of our members."""
    return receipts.receive_report(session, node, message["from"], message)


def register_handlers(registry: InboxHandlers) -> None:
    """Register the agreement handlers and the visit receipts."""
    registry.register("agreement.propose", agreement_propose)
    registry.register("agreement.accept", agreement_accept)
    registry.register("agreement.reject", agreement_reject)
    registry.register("visit.report", visit_report)
