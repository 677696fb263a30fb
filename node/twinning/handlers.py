"""The twinning feature's inbox handlers (protocol.md §Inbox, "Agreement messages").

Each runs after the inbox's checks (shape, block, HTTP signature, sender binding, replay) inside
its write transaction, and calls the use cases of :mod:`node.twinning.agreements`; a refusal
raises and changes nothing. ``visit.report`` records a guest day a host counted
(:mod:`node.twinning.receipts`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from federation.agreements import agreement_id
from federation.errors import ProtocolError
from node import mail, published, texts
from node.network.handlers import InboxHandlers, Message
from node.runtime import Node
from node.twinning import agreements, receipts
from node.twinning.models import Agreement


def _tell_admins(session: Session, node: Node, partner_id: str, what: str) -> None:
    """Mail the admins that ``what`` happened with ``partner_id`` (when mail is set up)."""
    if not mail.configured(node):
        return
    name = published.space_names(session, [partner_id]).get(partner_id) or partner_id
    _ = texts.for_recipient(node.settings)
    said = {
        "proposes": _("%(name)s proposes a twinning agreement", name=name),
        "accepted": _("%(name)s accepted our twinning agreement", name=name),
        "rejected": _("%(name)s turned our twinning proposal down", name=name),
    }[what]
    body = (
        f"{said}.\n\n"
        + _("Open the partners page to see it and answer:")
        + f"\n{node.url}/admin/partners\n"
    )
    mail.send_after_commit(session, node, mail.admin_addresses(session), said, body)


def _state(session: Session, document: Any) -> str | None:
    """Where the agreement of ``document`` (or of this id) stands here, if we hold it."""
    try:
        key = document if isinstance(document, str) else agreement_id(document)
    except (ProtocolError, KeyError, TypeError, ValueError):
        return None  # not even an agreement: the handler refuses it
    row = session.get(Agreement, key)
    return row.state if row is not None else None


def agreement_propose(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """A partner proposes an agreement: kept for our administrator's answer."""
    before = _state(session, message["agreement"])
    row = agreements.receive_proposal(session, node, message["from"], message["agreement"])
    if row.state != before:  # a second delivery of the same proposal tells nobody again
        _tell_admins(session, node, message["from"], "proposes")
    return {"id": row.id, "state": "proposed"}


def agreement_accept(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """The partner countersigned our proposal."""
    before = _state(session, message["agreement"])
    row = agreements.receive_accept(session, node, message["from"], message["agreement"])
    if row.state != before:
        _tell_admins(session, node, message["from"], "accepted")
    return {"id": row.id, "state": row.state}


def agreement_reject(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """The partner turned our proposal down."""
    before = _state(session, str(message["id"]))
    row = agreements.receive_reject(
        session, node, message["from"], message["id"], message.get("reason")
    )
    if row.state != before:
        _tell_admins(session, node, message["from"], "rejected")
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
