"""The calls feature's private tables: answers and replies on both sides of the exchange.

The calls themselves are published state (``node.models.Project``, written by
node/projects/projectors.py). Posting side: the answers other nodes' members sent to our calls
and the replies our admins wrote. Home side: the answers our members sent out and the replies
that came back for them. The member's e-mail address is read from ``members`` when the reply is
mailed; it is never stored here nor sent (protocol.md §Inbox, "Answers to calls").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from node.db import DID, Base


class ReceivedAnswer(Base):
    """An answer to one of our calls, from a member of the node ``home_id`` (posting side)."""

    __tablename__ = "project_answers"
    __table_args__ = (
        UniqueConstraint("home_id", "answer", name="uq_project_answers_home_answer"),
        Index("ix_project_answers_project", "project_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64))
    home_id: Mapped[str] = mapped_column(DID)
    answer: Mapped[str] = mapped_column(String(64))  # the home node's number for it
    member: Mapped[str] = mapped_column(String(64))  # the member's pseudonym at home
    name: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    received: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SentReply(Base):
    """Our admin's reply to a received answer (posting side); its id is the ``reply`` sent."""

    __tablename__ = "project_replies"
    __table_args__ = (Index("ix_project_replies_answer", "answer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(Integer)  # ReceivedAnswer.id
    message: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SentAnswer(Base):
    """An answer one of our members sent to another space's call (home side); its id is the
    ``answer`` sent."""

    __tablename__ = "project_answers_sent"
    __table_args__ = (Index("ix_project_answers_sent_member", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(DID)  # the posting space
    project_id: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Why it was never delivered (the call closed first: node/projects/jobs.py), or None.
    undelivered: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ReceivedReply(Base):
    """A posting space's reply to one of our members' answers (home side), kept once."""

    __tablename__ = "project_replies_received"

    sender: Mapped[str] = mapped_column(DID, primary_key=True)
    reply: Mapped[str] = mapped_column(String(64), primary_key=True)
    answer_id: Mapped[int] = mapped_column(Integer, index=True)  # SentAnswer.id
    message: Mapped[str] = mapped_column(Text)
    received: Mapped[datetime] = mapped_column(DateTime(timezone=True))
