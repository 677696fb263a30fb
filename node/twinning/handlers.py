"""The twinning feature's inbox handlers (protocol.md §Inbox, "Agreement messages").

Each runs after the inbox's checks (shape, block, HTTP signature, sender binding, replay) inside
its write transaction, and calls the use cases of :mod:`node.twinning.agreements`; a refusal
raises and changes nothing. ``visit.report`` records a guest day a host counted
(:mod:`node.twinning.receipts`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from node import mail, published
from node.network.handlers import InboxHandlers, Message
from node.runtime import Node
from node.twinning import agreements, receipts


def _tell_admins(session: Session, node: Node, partner_id: str, what: str) -> None:
    """Mail the admins that ``what`` happened with ``partner_id`` (when mail is set up)."""
    to = mail.admin_addresses(session)
    if not to or not mail.configured(node):
        return
    name = published.space_names(session, [partner_id]).get(partner_id) or partner_id
    body = (
        f"{name} {what}.\n\nOpen the partners page to see it and answer:\n"
        f"{node.url}/admin/partners\n"
    )
    mail.send_after_commit(session, node, mail.build(node, to, f"{name} {what}", body))


def agreement_propose(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """A partner proposes an agreement: kept for our administrator's answer."""
    row = agreements.receive_proposal(session, node, message["from"], message["agreement"])
    _tell_admins(session, node, message["from"], "proposes a twinning agreement")
    return {"id": row.id, "state": "proposed"}


def agreement_accept(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """The partner countersigned our proposal."""
    row = agreements.receive_accept(session, node, message["from"], message["agreement"])
    _tell_admins(session, node, message["from"], "accepted our twinning agreement")
    return {"id": row.id, "state": row.state}


def agreement_reject(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """The partner turned our proposal down."""
    row = agreements.receive_reject(
        session, node, message["from"], message["id"], message.get("reason")
    )
    _tell_admins(session, node, message["from"], "turned our twinning proposal down")
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
