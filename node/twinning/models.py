"""The twinning feature's tables: agreements as this node negotiates them, members' personal
links, the guest passes this node issued, and the guest days it counted as a host.

All of it is private to the node. What the network sees of twinning travels in feeds
(``agreement.publish``, ``agreement.terminate``, ``pass.revoke``; protocol.md §Entry types) and
in inbox messages; the host checks passes from that mirrored state, never from these tables of
another node (ARCHITECTURE.md §Twinning).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from node.db import DID, HASH, Base


class Agreement(Base):
    """A twinning agreement with one partner, as this node negotiates it.

    ``state`` follows :data:`node.twinning.lifecycle.TRANSITIONS`; ``document`` is the agreement
    as last signed (the proposer's signature only until it is accepted). Whether it is in force
    on a day is read from the published state (both parties' feeds), not from here.
    """

    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(HASH, primary_key=True)
    partner_id: Mapped[str] = mapped_column(DID, index=True)
    proposed_by_us: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    document: Mapped[dict] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Last day in force when a termination was asked for a later date (published that day).
    ends_after: Mapped[str | None] = mapped_column(String(10), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class MemberLink(Base):
    """A member's secret personal link to their pass page: only the SHA-256 of the secret."""

    __tablename__ = "member_links"

    member_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    secret_hash: Mapped[str] = mapped_column(HASH, unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GuestPass(Base):
    """A guest pass this node issued to one of its members (the token is kept to show it again
    on the member's page; a revoked pass is published as a ``pass.revoke`` entry)."""

    __tablename__ = "guest_passes"
    __table_args__ = (Index("ix_guest_passes_member", "member_id", "exp"),)

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer, ForeignKey("members.id", ondelete="CASCADE"))
    partner_id: Mapped[str] = mapped_column(DID)
    agreement_id: Mapped[str] = mapped_column(HASH)
    token: Mapped[str] = mapped_column(Text)
    iat: Mapped[int] = mapped_column(BigInteger)
    nbf: Mapped[int] = mapped_column(BigInteger)
    exp: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[str | None] = mapped_column(String(10), nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Visit(Base):
    """A guest day this node counted as a host: one per guest member and local day."""

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("home_id", "member", "day", name="uq_visits_member_day"),
        Index("ix_visits_agreement_day", "agreement_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(HASH)
    home_id: Mapped[str] = mapped_column(DID)
    member: Mapped[str] = mapped_column(String(64))  # the pass ``sub``: a pseudonym
    name: Mapped[str] = mapped_column(String(64))
    jti: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10))  # the host's local date, YYYY-MM-DD
    resource: Mapped[str | None] = mapped_column(String(20), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # False while the day is booked ahead: it is reported to the home node when it begins, as
    # it may be cancelled until then (protocol.md §Inbox, "Visit receipts").
    reported: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class VisitMonth(Base):
    """Guest days counted under one agreement in one of our calendar months: the partner
    quota's figure, kept in the transaction that counts each day (node/twinning/desk.py)."""

    __tablename__ = "visit_months"

    agreement_id: Mapped[str] = mapped_column(HASH, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM, our calendar
    days: Mapped[int] = mapped_column(Integer)


class ReceivedVisit(Base):
    """A guest day one of our members used at a partner, as the host reported it
    (``visit.report``; reports for others' members or passes are refused, not kept)."""

    __tablename__ = "received_visits"
    __table_args__ = (UniqueConstraint("jti", "day", name="uq_received_visits_pass_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host_id: Mapped[str] = mapped_column(DID)
    agreement_id: Mapped[str] = mapped_column(HASH)
    member_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    pseudonym: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10))  # the host's local date, YYYY-MM-DD
    jti: Mapped[str] = mapped_column(String(64))
    received: Mapped[datetime] = mapped_column(DateTime(timezone=True))
