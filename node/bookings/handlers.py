"""The bookings feature's inbox handler: ``booking.notice`` from a host about one of our
members' bookings there (protocol.md §Inbox, "Booking notices"; node/bookings/notices.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from node.bookings import notices
from node.network.handlers import InboxHandlers, Message
from node.runtime import Node


def booking_notice(session: Session, node: Node, message: Message) -> dict[str, Any]:
    """A host booked (or cancelled) a desk or room for one of our members."""
    return notices.receive(session, node, message["from"], message)


def register_handlers(registry: InboxHandlers) -> None:
    """Register the booking notices."""
    registry.register("booking.notice", booking_notice)
