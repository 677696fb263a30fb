"""The calendar import's tables: the subscribed calendars and which event each item became."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from node.db import HASH, Base


class CalendarSubscription(Base):
    """An ICS calendar whose events this node imports (and, when ``follow``, keeps current)."""

    __tablename__ = "calendar_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    follow: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_checked: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # SHA-256 of the last calendar read: an unchanged calendar costs one fetch and no work.
    content_hash: Mapped[str | None] = mapped_column(HASH, nullable=True)


class ImportedEvent(Base):
    """One calendar item (its UID, and RECURRENCE-ID for an occurrence) and the event it is."""

    __tablename__ = "imported_events"

    subscription_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("calendar_subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
