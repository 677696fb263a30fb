"""The guest's confirmation mail: the booking and its invitation (ICS) attached, sent after the
booking commits when the node has SMTP settings and the guest gave an address, which is used for
this mail only and never stored."""

from __future__ import annotations

from sqlalchemy.orm import Session

from node import mail, texts
from node.bookings import ics
from node.bookings.views import BookingView
from node.runtime import Node
from node.services.space import get_profile


def send(
    session: Session,
    node: Node,
    view: BookingView,
    url: str,
    address: str,
    language: str | None = None,
) -> bool:
    """Mail ``view`` to ``address`` once the transaction commits, in ``language`` (the page's
    the guest booked on) or the space's; False when mail is not set up or the address is not a
    plain address (the page shows the link either way)."""
    address = (address or "").strip()
    if not mail.configured(node) or not address or len(address) > 254:
        return False
    profile = get_profile(session, node.node_id)
    _ = texts.for_recipient(node.settings, language)
    what = f"{_.kind(view.kind_label)} {view.resource_name}"
    day, space = view.day.isoformat(), profile["name"]
    subject = _("Your booking at %(space)s: %(what)s, %(day)s", space=space, what=what, day=day)
    body = (
        _("Hello %(name)s,", name=view.name)
        + "\n\n"
        + _(
            "%(space)s has booked %(what)s for you on %(day)s (%(when)s).",
            space=space,
            what=what,
            day=day,
            when=_.when(view.start, view.end),
        )
        + "\n\n"
        + _("Your booking, to see or cancel it before the day:")
        + f"\n{url}\n\n"
        + _("The invitation is attached: open it to add the booking to your calendar.")
        + "\n"
    )
    invitation = ics.invitation(node.node_id, url, profile, view)
    attachment = ("booking.ics", "text/calendar", invitation)
    mail.send_after_commit(session, node, [address], subject, body, [attachment])
    return True
