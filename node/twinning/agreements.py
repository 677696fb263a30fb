"""Twinning agreements as this node negotiates them: propose, accept, reject, terminate, and
the same steps arriving from the partner's inbox (protocol.md §Agreements, §Inbox).

Every step moves the row through :mod:`node.twinning.lifecycle`; an accept or a termination
publishes its feed entry in the same transaction (node/services/publishing.py), and a message
to the partner is queued in it too (the durable outbox), so a step is either wholly done or not
at all. No Flask here: the CLI, the API, the admin pages and the inbox handlers call these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation import agreements as documents
from federation.errors import ProtocolError
from federation.state import Standing
from federation.vocabulary import RESOURCE_KINDS
from node import feedstore, published
from node.clock import local_day_start, local_today
from node.errors import Conflict, InvalidInput, NotFound
from node.formats import parse_date
from node.keystore import current_key
from node.messages import N_
from node.network.outbox import enqueue_to
from node.runtime import Node
from node.services.known_spaces import resolve_partner
from node.services.network import node_url
from node.services.publishing import publish
from node.services.space import get_profile
from node.twinning import lifecycle
from node.twinning.models import Agreement, GuestPass, VisitMonth

MAX_YEARS = 5  # an agreement longer than this is more likely a typo in the year


@dataclass(frozen=True)
class Terms:
    """What one side gives the other's members: days per member and in total per month, and
    the kinds of resource they may use."""

    per_member: int
    total: int
    kinds: tuple[str, ...]


def parse_kinds(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """Resource kinds from ``hot_desk,meeting_room`` (or a list); default: a hot desk."""
    if text is None or text == "":
        return ("hot_desk",)
    items = text.split(",") if isinstance(text, str) else list(text)
    kinds = tuple(dict.fromkeys(k.strip() for k in items if k.strip()))
    unknown = [k for k in kinds if k not in RESOURCE_KINDS]
    if unknown or not kinds:
        raise InvalidInput(
            N_(
                "resources: %(value)s is not a resource kind; use %(items)s",
                value=", ".join(unknown) or N_("none given"),
                items=", ".join(RESOURCE_KINDS),
            )
        )
    if len(kinds) > 4:
        raise InvalidInput(N_("resources: at most 4 kinds"))
    return kinds


def _check_terms(terms: Terms, side: str) -> None:
    if not 1 <= terms.per_member <= 31:
        raise InvalidInput(N_("%(side)s: days per member must be 1 to 31 a month", side=side))
    if not 1 <= terms.total <= 100_000:
        raise InvalidInput(N_("%(side)s: total days must be 1 to 100000 a month", side=side))
    if terms.per_member > terms.total:
        raise InvalidInput(
            N_("%(side)s: days per member cannot be more than the total days", side=side)
        )


def today(session: Session, node: Node) -> date:
    """Our local date (agreement days are the host's dates, protocol.md §Agreements)."""
    return local_today(get_profile(session, node.node_id)["timezone"], node.now_ms())


def _reachable(session: Session, node: Node, partner_id: str) -> str:
    url = node_url(session, node, partner_id)
    if not url:
        raise Conflict(
            N_(
                "no known address for this space: peer with it (spazi peer join) or wait until a "
                "peer announces it"
            ),
            reason="partner-unreachable",
        )
    return url


def propose(
    session: Session,
    node: Node,
    partner: str,
    ours: Terms,
    theirs: Terms,
    valid_from: str,
    valid_until: str,
) -> Agreement:
    """Sign a proposal to ``partner`` (node id, URL or name) and queue it for its inbox."""
    space = resolve_partner(session, node, partner)
    _check_terms(ours, "we give")
    _check_terms(theirs, "they give")
    start, end = parse_date(valid_from, "from"), parse_date(valid_until, "until")
    if end <= start:
        raise InvalidInput(N_("until: the agreement must end after it starts (until is exclusive)"))
    if end <= today(session, node):
        raise InvalidInput(N_("until: that day has passed"))
    if (end - start).days > 366 * MAX_YEARS:
        raise InvalidInput(
            N_("until: an agreement runs at most %(max_years)s years", max_years=MAX_YEARS)
        )
    url = _reachable(session, node, space.node_id)
    grants = [
        documents.grant(node.node_id, space.node_id, ours.per_member, ours.total, list(ours.kinds)),
        documents.grant(
            space.node_id, node.node_id, theirs.per_member, theirs.total, list(theirs.kinds)
        ),
    ]
    try:
        doc = documents.propose(
            current_key(session, node),
            space.node_id,
            grants,
            start.isoformat(),
            end.isoformat(),
            node.now_ms(),
            node_id=node.node_id,
        )
    except ProtocolError as exc:
        raise InvalidInput(exc.detail, reason=exc.reason) from exc
    row = _new_row(session, node, documents.agreement_id(doc), space.node_id, True, doc)
    row.state = lifecycle.next_state(lifecycle.NEW, "propose")
    enqueue_to(session, node, space.node_id, url, "agreement.propose", {"agreement": doc})
    return row


def _new_row(
    session: Session, node: Node, agreement: str, partner: str, ours: bool, doc: dict[str, Any]
) -> Agreement:
    now = node.now()
    row = Agreement(
        id=agreement,
        partner_id=partner,
        proposed_by_us=ours,
        state=lifecycle.NEW,
        document=doc,
        created=now,
        updated=now,
    )
    session.add(row)
    return row


def get(session: Session, agreement: str) -> Agreement:
    """The agreement whose id is, or starts with, ``agreement`` (at least 6 hex digits)."""
    text = agreement.strip().lower()
    row = session.get(Agreement, text) if len(text) == 64 else None
    if row is None and 6 <= len(text) < 64 and all(c in "0123456789abcdef" for c in text):
        found = list(session.scalars(select(Agreement).where(Agreement.id.startswith(text))))
        if len(found) > 1:
            raise InvalidInput(
                N_(
                    "%(agreement)s names more than one agreement: give more digits",
                    agreement=agreement,
                )
            )
        row = found[0] if found else None
    if row is None:
        raise NotFound(
            N_("no agreement %(agreement)s: see spazi agreement list", agreement=agreement),
            reason="unknown-agreement",
        )
    return row


def _move(row: Agreement, event: str, node: Node) -> None:
    row.state = lifecycle.next_state(row.state, event)
    row.updated = node.now()


def accept(session: Session, node: Node, agreement: str) -> Agreement:
    """Countersign a proposal we received, publish it and answer the proposer."""
    row = get(session, agreement)
    if row.proposed_by_us and row.state == "proposed":
        raise Conflict(N_("the partner answers this proposal, not us"), reason="bad-peer-state")
    lifecycle.next_state(row.state, "accept")  # refuses before anything is signed
    url = _reachable(session, node, row.partner_id)
    try:
        signed = documents.countersign(
            current_key(session, node), row.document, feedstore.keyring(session), node.node_id
        )
    except ProtocolError as exc:
        raise Conflict(
            N_("the proposal no longer verifies: %(detail)s", detail=exc.detail), reason=exc.reason
        ) from exc
    row.document = signed
    _move(row, "accept", node)
    publish(session, node, "agreement.publish", {"agreement": signed})
    enqueue_to(session, node, row.partner_id, url, "agreement.accept", {"agreement": signed})
    return row


def reject(session: Session, node: Node, agreement: str, reason: str | None = None) -> Agreement:
    """Turn down a proposal we received and tell the proposer."""
    row = get(session, agreement)
    if row.proposed_by_us and row.state == "proposed":
        raise Conflict(N_("the partner answers this proposal, not us"), reason="bad-peer-state")
    lifecycle.next_state(row.state, "reject")
    url = _reachable(session, node, row.partner_id)
    _move(row, "reject", node)
    row.reason = _reason(reason)
    extra: dict[str, Any] = {"id": row.id}
    if row.reason:
        extra["reason"] = row.reason
    enqueue_to(session, node, row.partner_id, url, "agreement.reject", extra)
    return row


def _reason(text: str | None) -> str | None:
    cleaned = (text or "").strip()
    if len(cleaned) > 500:
        raise InvalidInput(N_("reason: at most 500 characters"))
    return cleaned or None


def terminate(
    session: Session,
    node: Node,
    agreement: str,
    effective: str | None = None,
    reason: str | None = None,
) -> Agreement:
    """End an active agreement: at once, or after the ``effective`` day (the termination is
    then published the day after it, by the ``agreement-ends`` job)."""
    row = get(session, agreement)
    lifecycle.next_state(row.state, "terminate")
    row.reason = _reason(reason)
    local = today(session, node)
    if effective:
        last = parse_date(effective, "effective")
        if last < local:
            raise InvalidInput(N_("effective: that day has passed; leave it out to end it today"))
        # In force through its last day; the ``agreement-ends`` job publishes the end after it.
        row.ends_after = last.isoformat()
        row.updated = node.now()
        return row
    _publish_end(session, node, row)
    return row


def _publish_end(session: Session, node: Node, row: Agreement) -> None:
    _move(row, "terminate", node)
    body: dict[str, Any] = {"id": row.id}
    if row.reason:
        body["reason"] = row.reason
    publish(session, node, "agreement.terminate", body)


def end_due(session: Session, node: Node) -> int:
    """Publish the terminations whose last day has passed; how many were published."""
    local = today(session, node).isoformat()
    due = session.scalars(
        select(Agreement).where(
            Agreement.state == "active",
            Agreement.ends_after.is_not(None),
            Agreement.ends_after < local,
        )
    )
    count = 0
    for row in due:
        _publish_end(session, node, row)
        count += 1
    return count


# -- from the partner's inbox ---------------------------------------------------------------------


def receive_proposal(session: Session, node: Node, sender: str, doc: Any) -> Agreement:
    """A proposal from ``sender``: checked (shape, terms, parties, proposer's signature) and
    kept for our administrator. The same proposal again changes nothing."""
    if not isinstance(doc, Mapping) or doc.get("parties", [None])[:1] != [sender]:
        raise Conflict(
            N_("the proposer must be the sender and the first party"), reason="bad-terms"
        )
    if list(doc.get("parties", []))[1:] != [node.node_id]:
        raise Conflict(N_("this node is not the agreement's second party"), reason="not-a-party")
    if set(doc.get("sigs") or {}) != {sender}:
        raise Conflict(N_("a proposal carries the proposer's signature only"), reason="bad-terms")
    try:
        documents.check_proposal(doc, feedstore.keyring(session), node.node_id)
    except ProtocolError as exc:
        raise Conflict(exc.detail, reason=exc.reason) from exc
    agreement = documents.agreement_id(doc)
    row = session.get(Agreement, agreement)
    if row is None:
        row = _new_row(session, node, agreement, sender, False, dict(doc))
    elif row.partner_id != sender or row.proposed_by_us:
        raise Conflict(N_("this agreement is not the sender's proposal"), reason="bad-peer-state")
    _move(row, "receive_proposal", node)
    return row


def _ours_from(session: Session, sender: str, agreement: str) -> Agreement:
    row = session.get(Agreement, agreement)
    if row is None or not row.proposed_by_us or row.partner_id != sender:
        raise Conflict(N_("no proposal of ours to the sender has this id"), reason="bad-peer-state")
    return row


def receive_accept(session: Session, node: Node, sender: str, doc: Any) -> Agreement:
    """The partner countersigned our proposal: verify both signatures, then publish it."""
    try:
        agreement = documents.verify_agreement(doc, feedstore.keyring(session))
    except ProtocolError as exc:
        raise Conflict(exc.detail, reason=exc.reason) from exc
    row = _ours_from(session, sender, agreement)
    if row.state == "active":
        return row  # the same accept delivered again
    _move(row, "receive_accept", node)
    row.document = dict(doc)
    publish(session, node, "agreement.publish", {"agreement": dict(doc)})
    return row


def receive_reject(
    session: Session, node: Node, sender: str, agreement: str, reason: str | None
) -> Agreement:
    """The partner turned our proposal down."""
    row = _ours_from(session, sender, agreement)
    if row.state == "rejected":
        return row
    _move(row, "receive_reject", node)
    row.reason = reason
    return row


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementView:
    """One agreement as people see it."""

    id: str
    partner_id: str
    partner_name: str
    state: str
    label: str
    we_give: Terms
    they_give: Terms
    valid_from: str
    valid_until: str
    ends_after: str | None
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        """The view as JSON (``spazi agreement list --json`` and the API)."""

        def terms(t: Terms) -> dict[str, Any]:
            return {
                "days_per_member_month": t.per_member,
                "days_total_month": t.total,
                "resource_kinds": list(t.kinds),
            }

        return {
            "id": self.id,
            "partner_id": self.partner_id,
            "partner_name": self.partner_name,
            "state": self.state,
            "we_give": terms(self.we_give),
            "they_give": terms(self.they_give),
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "ends_after": self.ends_after,
            "reason": self.reason,
        }


def _terms(doc: Mapping[str, Any], host: str, guest_home: str) -> Terms:
    grant = documents.grant_for(doc, host, guest_home) or {}
    return Terms(
        int(grant.get("days_per_member_month", 0)),
        int(grant.get("days_total_month", 0)),
        tuple(grant.get("resource_kinds", ())),
    )


def view(
    session: Session,
    node: Node,
    row: Agreement,
    standings: Mapping[str, Standing] | None = None,
    names: Mapping[str, str] | None = None,
) -> AgreementView:
    """Where ``row`` stands for people: partner name, both sides' terms, the shown state."""
    standings = standings if standings is not None else published.agreements(session, node.node_id)
    names = names if names is not None else published.space_names(session, [row.partner_id])
    standing = standings.get(row.id)
    doc = row.document
    state = lifecycle.shown_state(
        row.state,
        standing is not None and standing.terminated_by is not None,
        doc["valid_until"],
        today(session, node),
    )
    return AgreementView(
        id=row.id,
        partner_id=row.partner_id,
        partner_name=names.get(row.partner_id, ""),
        state=state,
        label=lifecycle.LABELS.get(state, state),
        we_give=_terms(doc, node.node_id, row.partner_id),
        they_give=_terms(doc, row.partner_id, node.node_id),
        valid_from=doc["valid_from"],
        valid_until=doc["valid_until"],
        ends_after=row.ends_after,
        reason=row.reason or (standing.reason if standing else None),
    )


def list_views(session: Session, node: Node) -> list[AgreementView]:
    """Every agreement of ours, newest first."""
    rows = list(session.scalars(select(Agreement).order_by(Agreement.created.desc())))
    standings = published.agreements(session, node.node_id)
    names = published.space_names(session, {row.partner_id for row in rows})
    return [view(session, node, row, standings, names) for row in rows]


def in_force(
    session: Session, host: str, guest_home: str, day: date
) -> tuple[str, Mapping[str, Any]] | None:
    """The (id, grant) of a published agreement in force on ``day`` in which ``host`` receives
    members of ``guest_home``: signed by both, not terminated, valid that day."""
    for agreement, standing in sorted(published.agreements(session, host).items()):
        doc = standing.document
        if not standing.in_force or guest_home not in doc["parties"]:
            continue
        grant = documents.grant_for(doc, host, guest_home)
        if grant is not None and documents.is_active(doc, day):
            return agreement, grant
    return None


def month_usage(session: Session, node: Node, agreement: str, today: date) -> dict[str, int]:
    """This month (our calendar, up to ``today``) under ``agreement``: guest days the partner's
    members used here, and passes we issued to our members for the partner."""
    first = today.replace(day=1)
    # The desk's own figure (node/twinning/desk.py keeps it with each counted day).
    hosted = session.scalar(
        select(VisitMonth.days).where(
            VisitMonth.agreement_id == agreement, VisitMonth.month == first.isoformat()[:7]
        )
    )
    since = int(local_day_start(first, get_profile(session, node.node_id)["timezone"]).timestamp())
    issued = session.scalar(
        select(func.count())
        .select_from(GuestPass)
        .where(GuestPass.agreement_id == agreement, GuestPass.iat >= since)
    )
    return {"hosted": int(hosted or 0), "issued": int(issued or 0)}
