"""Visit receipts (protocol.md §Inbox, ``visit.report``): every guest day the desk counts is
reported to the guest's home node, which keeps what each of its members used at each partner.

The host queues the report in the transaction that counts the day (the durable outbox delivers
it, retrying while the home node is down); it goes to the home node only, never into a feed.
The home node accepts a report only from a node that hosts its members under a published
agreement, for a pass it issued to that member for that host, and counts a pass's day once
however often it is delivered (``jti`` and ``day`` are unique). Anything else it refuses, and
the host's report shows the day as disputed (node/twinning/reports.py).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.agreements import grant_for, is_active
from node import published
from node.clock import month_bounds
from node.db import insert_or_ignore
from node.errors import Conflict
from node.messages import N_
from node.models import Member
from node.network.outbox import enqueue_to, message_row
from node.runtime import Node
from node.services.network import node_url
from node.twinning.models import GuestPass, ReceivedVisit

log = logging.getLogger(__name__)


def report_visit(
    session: Session, node: Node, home_id: str, agreement: str, member: str, day: str, jti: str
) -> bool:
    """Queue the ``visit.report`` of a counted day for the home node (host side), in the
    caller's transaction; False when no address of the home node is known yet."""
    url = node_url(session, node, home_id)
    if not url:
        unreported(home_id, jti, day)
        return False
    body = {"agreement": agreement, "member": member, "day": day, "jti": jti}
    enqueue_to(session, node, home_id, url, "visit.report", body)
    return True


def report_row(
    node: Node, home_id: str, url: str, agreement: str, member: str, day: str, jti: str
) -> dict[str, Any]:
    """The outbox row of :func:`report_visit` for the home node at ``url``, for a caller that
    inserts it in its own statement (the front desk)."""
    body = {"agreement": agreement, "member": member, "day": day, "jti": jti}
    return message_row(node, home_id, url, "visit.report", body)


def unreported(home_id: str, jti: str, day: str) -> None:
    """Say that a counted day goes unreported: no address of its home node is known."""
    # The desk admits offline and must not fail here; the day stays counted at the host.
    log.warning("no address for %s: the visit of %s on %s is not reported", home_id, jti, day)


def check_guest_message(session: Session, node: Node, sender: str, message: Any) -> int:
    """The id of our member a host's message (``visit.report``, ``booking.notice``) is about,
    once it holds: a published agreement lets the sender host our members, the member is ours,
    we issued the pass to them for the sender under that agreement, and the pass and the
    agreement cover the day; :class:`Conflict` with the protocol's reason otherwise."""
    agreement = str(message["agreement"])
    standing = published.agreement(session, agreement)
    doc = standing.document if standing is not None else None
    if doc is None or grant_for(doc, sender, node.node_id) is None:
        raise Conflict(
            N_("no published agreement lets the sender host our members"), reason="bad-peer-state"
        )
    pseudonym = str(message["member"])
    member_id = session.scalar(select(Member.id).where(Member.pseudonym == pseudonym))
    if member_id is None:
        raise Conflict(N_("the member is none of ours"), reason="unknown-member")
    issued = session.get(GuestPass, str(message["jti"]))
    if (
        issued is None
        or issued.member_id != member_id
        or issued.partner_id != sender
        or issued.agreement_id != agreement
    ):
        raise Conflict(N_("we issued no such pass to this member for you"), reason="unknown-pass")
    day = str(message["day"])
    if not _within_pass(issued, day) or not is_active(doc, date.fromisoformat(day)):
        raise Conflict(
            N_("the pass or the agreement was not valid that day"), reason="unknown-pass"
        )
    return member_id


def receive_report(session: Session, node: Node, sender: str, message: Any) -> dict[str, Any]:
    """Record a host's report of one guest day of our member (home side)."""
    member_id = check_guest_message(session, node, sender, message)
    agreement, pseudonym = str(message["agreement"]), str(message["member"])
    inserted = session.execute(
        insert_or_ignore(session, ReceivedVisit).values(
            host_id=sender,
            agreement_id=agreement,
            member_id=member_id,
            pseudonym=pseudonym,
            day=str(message["day"]),
            jti=str(message["jti"]),
            received=node.now(),
        )
    )
    counted = bool(getattr(inserted, "rowcount", 0))
    return {"state": "counted" if counted else "known"}


def _within_pass(issued: GuestPass, day: str) -> bool:
    """Whether ``day`` (the host's local date) can be a day of the pass: its own day, or within
    its validity give or take a day (time zones between the host's date and UTC)."""
    if issued.day is not None:
        return day == issued.day
    first = datetime.fromtimestamp(issued.nbf, UTC).date() - timedelta(days=1)
    last = datetime.fromtimestamp(issued.exp, UTC).date() + timedelta(days=1)
    return first.isoformat() <= day <= last.isoformat()


def days_used(session: Session, member_id: int, month: date) -> Counter[str]:
    """Days the member used at each host (by node id) in ``month``, as the hosts reported."""
    first, following = month_bounds(month)
    rows = session.scalars(
        select(ReceivedVisit.host_id).where(
            ReceivedVisit.member_id == member_id,
            ReceivedVisit.day >= first,
            ReceivedVisit.day < following,
        )
    )
    return Counter(rows)
