"""The bookings feature's tables: bookings guests made here (host side), the row that makes two
bookings of one resource and day take turns, and the bookings our members made at partners
(home side, from ``booking.notice`` messages; protocol.md §Inbox).

A booked day is a guest day: it is counted in the twinning feature's ``visits`` and
``visit_months`` in the transaction that stores the booking (node/bookings/service.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from node.db import DID, HASH, Base


class Booking(Base):
    """A desk for a day (``start`` and ``end`` empty) or a room for a slot, booked here by a
    partner's member with a guest pass. Only the SHA-256 of the guest's secret link is kept."""

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_resource_day", "resource_id", "day"),
        Index("ix_bookings_day", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(HASH, unique=True)
    resource_id: Mapped[str] = mapped_column(String(64))
    resource_kind: Mapped[str] = mapped_column(String(20))
    day: Mapped[str] = mapped_column(String(10))  # our local date, YYYY-MM-DD
    start: Mapped[str | None] = mapped_column(String(5), nullable=True)  # HH:MM, rooms only
    end: Mapped[str | None] = mapped_column(String(5), nullable=True)  # HH:MM (24:00 allowed)
    agreement_id: Mapped[str] = mapped_column(HASH)
    home_id: Mapped[str] = mapped_column(DID)
    member: Mapped[str] = mapped_column(String(64))  # the pass ``sub``: a pseudonym
    name: Mapped[str] = mapped_column(String(64))
    jti: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cancelled: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(10), nullable=True)  # guest, host


class BookingLock(Base):
    """One row per resource and day, locked by each booking of it so that two requests for the
    last seat or one slot take turns (PostgreSQL; SQLite has one writer anyway)."""

    __tablename__ = "booking_locks"

    resource_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)


class ReceivedBooking(Base):
    """A booking one of our members holds at a partner, as the host told us
    (``booking.notice``); shown on the member's page."""

    __tablename__ = "received_bookings"

    host_id: Mapped[str] = mapped_column(DID, primary_key=True)
    booking: Mapped[str] = mapped_column(String(64), primary_key=True)  # the host's id
    agreement_id: Mapped[str] = mapped_column(HASH)
    member_id: Mapped[int] = mapped_column(Integer, index=True)
    jti: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10))
    start: Mapped[str | None] = mapped_column(String(5), nullable=True)
    end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    resource_kind: Mapped[str] = mapped_column(String(20))
    resource_name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10))  # booked, cancelled (final)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
