"""``booking.notice`` (protocol.md §Inbox, "Booking notices"): the host tells the guest's home
node of a booking and of its cancellation, so the member's page at home lists what they booked
abroad.

Host side, :func:`send` queues the notice in the transaction that books or cancels (the durable
outbox delivers it, retrying while the home node is down). Home side, :func:`receive` keeps it
under the same rules as a visit receipt (node/twinning/receipts.py): a partner hosting our
members, our member, a pass we issued them for that host. A notice carries the booking's state,
not a change, and ``cancelled`` is final, so notices delivered in any order, or twice, leave the
same row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from node import mail, published, texts
from node.bookings import ics
from node.bookings.models import ReceivedBooking
from node.bookings.views import BookingView
from node.formats import resource_kind_label
from node.models import Member
from node.network.outbox import enqueue_to
from node.runtime import Node
from node.services.network import node_url
from node.twinning.receipts import check_guest_message

if TYPE_CHECKING:
    from node.bookings.models import Booking

log = logging.getLogger(__name__)


def send(session: Session, node: Node, row: Booking, resource_name: str, state: str) -> bool:
    """Queue the notice of ``row`` being ``booked`` or ``cancelled`` for the guest's home
    node; False when no address of it is known (the booking stands all the same)."""
    url = node_url(session, node, row.home_id)
    if not url:
        log.warning("no address for %s: booking %s is not notified", row.home_id, row.id)
        return False
    body: dict[str, Any] = {
        "agreement": row.agreement_id,
        "member": row.member,
        "jti": row.jti,
        "booking": str(row.id),
        "state": state,
        "day": row.day,
        "resource_kind": row.resource_kind,
        "resource": resource_name[:200],
    }
    if row.start and row.end:
        body["start"], body["end"] = row.start, row.end
    enqueue_to(session, node, row.home_id, url, "booking.notice", body)
    return True


def receive(session: Session, node: Node, sender: str, message: Any) -> dict[str, Any]:
    """Keep a host's notice of a booking one of our members holds there (home side)."""
    member_id = check_guest_message(session, node, sender, message)
    key = (sender, str(message["booking"]))
    row = session.get(ReceivedBooking, key)
    state = str(message["state"])
    if row is not None and row.state == "cancelled":
        return {"state": "cancelled"}  # final: a late "booked" changes nothing
    changed = row is None or row.state != state
    if row is None:
        row = ReceivedBooking(host_id=sender, booking=key[1])
        session.add(row)
    row.agreement_id = str(message["agreement"])
    row.member_id = member_id
    row.jti = str(message["jti"])
    row.day = str(message["day"])
    row.start = message.get("start")
    row.end = message.get("end")
    row.resource_kind = str(message["resource_kind"])
    row.resource_name = str(message["resource"])
    row.state = state
    row.updated = node.now()
    if changed:
        _tell_member(session, node, row)
    return {"state": state}


def _tell_member(session: Session, node: Node, row: ReceivedBooking) -> None:
    """Mail our member the booking (or its cancellation) with the invitation attached, once the
    notice is stored; the event's UID is the host's, so calendars see one booking."""
    member = session.get(Member, row.member_id)
    if not mail.configured(node) or member is None or not member.email or member.suspended:
        return
    space = published.space(session, row.host_id)
    host = space.name if space is not None else row.host_id
    page = node_url(session, node, row.host_id) or ""
    view = BookingView(
        id=row.booking,
        day=date.fromisoformat(row.day),
        start=row.start,
        end=row.end,
        resource_id="",
        resource_name=row.resource_name,
        resource_kind=row.resource_kind,
        kind_label=resource_kind_label(row.resource_kind),
        name=member.name,
        home_id=node.node_id,
        home_name="",
        created=row.updated,
        cancelled=row.state == "cancelled",
    )
    # Our member's language is not recorded: the mail is in the space's (ARCHITECTURE.md
    # §Translations).
    _ = texts.for_recipient(node.settings)
    what = _(
        "%(kind)s %(resource)s at %(host)s, %(day)s (%(when)s)",
        kind=_.kind(view.kind_label),
        resource=row.resource_name,
        host=host,
        day=row.day,
        when=_.when(view.start, view.end),
    )
    if view.cancelled:
        subject = _("Booking cancelled: %(what)s", what=what)
        body = _("Your booking of %(what)s is cancelled.", what=what) + "\n"
    else:
        subject = _("Booked: %(what)s", what=what)
        body = (
            _("Hello %(name)s,", name=member.name)
            + "\n\n"
            + _("%(host)s has booked %(what)s for you.", host=host, what=what)
            + "\n"
            + _("To cancel it, use the link the partner space gave you when you booked.")
            + "\n"
        )
    attachments: list[mail.Attachment] = []
    if space is not None:
        invitation = ics.invitation(row.host_id, page, space.profile, view)
        attachments.append(("booking.ics", "text/calendar", invitation))
    mail.send_after_commit(session, node, [member.email], subject, body, attachments)


@dataclass(frozen=True)
class HeldBooking:
    """A booking our member holds at a partner, as the member's page lists it."""

    host_id: str
    day: str
    start: str | None
    end: str | None
    resource_kind: str
    resource_name: str

    @property
    def when(self) -> str:
        """``all day`` for a desk, ``14:00–16:00`` for a room."""
        return f"{self.start}–{self.end}" if self.start else "all day"


def held(session: Session, member_id: int, since: date) -> list[HeldBooking]:
    """The member's live bookings abroad from ``since`` on, soonest first."""
    rows = session.scalars(
        select(ReceivedBooking)
        .where(
            ReceivedBooking.member_id == member_id,
            ReceivedBooking.state == "booked",
            ReceivedBooking.day >= since.isoformat(),
        )
        .order_by(ReceivedBooking.day, ReceivedBooking.start, ReceivedBooking.host_id)
    )
    return [
        HeldBooking(r.host_id, r.day, r.start, r.end, r.resource_kind, r.resource_name)
        for r in rows
    ]
