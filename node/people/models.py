"""The people feature's tables: the network's member profiles as published (a cache of the
fold, like resources), our members' consent, and the messages people sent them.

A profile's text is never here: it is the detached body of its ``profile.put`` entry
(``node.models.DetachedBody``), deleted when the profile is withdrawn or replaced.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from node.db import DID, HASH, Base


class NetworkPerson(Base):
    """The latest ``profile.put`` or ``profile.withdraw`` of a profile id of an origin: the
    entry body (id and body hash), ``withdrawn`` for a tombstone."""

    __tablename__ = "network_people"

    origin: Mapped[str] = mapped_column(DID, ForeignKey("origins.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[dict] = mapped_column(JSON)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[int] = mapped_column(BigInteger)


class MemberProfile(Base):
    """A member of ours who consented to a network profile: the profile id and the consent
    (when, and whether the member gave it on their page or the admin recorded it)."""

    __tablename__ = "member_profiles"

    member_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    profile_id: Mapped[str] = mapped_column(String(64), unique=True)
    consent_date: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD
    consent_by: Mapped[str] = mapped_column(String(10))  # "member" or "admin"
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ContactMessage(Base):
    """A message someone sent one of our members through the profile's contact form. The
    sender's address is shown to the member only through the answer link (its hash kept)."""

    __tablename__ = "contact_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    sender_email: Mapped[str] = mapped_column(String(254))
    text: Mapped[str] = mapped_column(Text)
    secret_hash: Mapped[str] = mapped_column(HASH, unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revealed: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
