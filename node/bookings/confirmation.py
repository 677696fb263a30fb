"""The guest's confirmation mail: the booking and its invitation (ICS) attached, sent after the
booking commits when the node has SMTP settings and the guest gave an address, which is used for
this mail only and never stored."""

from __future__ import annotations

from sqlalchemy.orm import Session

from node import mail
from node.bookings import ics
from node.bookings.views import BookingView
from node.runtime import Node
from node.services.space import get_profile


def send(session: Session, node: Node, view: BookingView, url: str, address: str) -> bool:
    """Mail ``view`` to ``address`` once the transaction commits; False when mail is not set
    up or the address is not a plain address (the page shows the link either way)."""
    address = (address or "").strip()
    if not mail.configured(node) or not address or len(address) > 254:
        return False
    profile = get_profile(session, node.node_id)
    what = f"{view.kind_label} {view.resource_name}"
    subject = f"Your booking at {profile['name']}: {what}, {view.day.isoformat()}"
    body = (
        f"Hello {view.name},\n\n"
        f"{profile['name']} has booked {what} for you on {view.day.isoformat()} "
        f"({view.when}).\n\nYour booking, to see or cancel it before the day:\n{url}\n\n"
        "The invitation is attached: open it to add the booking to your calendar.\n"
    )
    invitation = ics.invitation(node.node_id, url, profile, view)
    attachment = ("booking.ics", "text/calendar", invitation)
    mail.send_after_commit(session, node, [address], subject, body, [attachment])
    return True
