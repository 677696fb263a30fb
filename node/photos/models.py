"""The photos' tables: the files this node holds (or wants) and which records name them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from node.db import DID, HASH, Base


class PhotoRef(Base):
    """A file named by the current record of an origin: its profile (``item`` empty) or one of
    its events (``item`` the event id). Rewritten whenever that record is published again."""

    __tablename__ = "photo_refs"

    origin: Mapped[str] = mapped_column(DID, primary_key=True)
    item: Mapped[str] = mapped_column(String(64), primary_key=True)
    hash: Mapped[str] = mapped_column(HASH, primary_key=True)
    photo: Mapped[int] = mapped_column(Integer)  # the photo's place in the body's list
    alt: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_photo_refs_hash", "hash"),)


class PhotoFile(Base):
    """A file by its SHA-256: ``stored`` once its verified bytes are on disk; until then the
    fetch attempts. ``own`` files were made here and are never evicted."""

    __tablename__ = "photo_files"

    hash: Mapped[str] = mapped_column(HASH, primary_key=True)
    own: Mapped[bool] = mapped_column(Boolean, default=False)
    stored: Mapped[bool] = mapped_column(Boolean, default=False)
    media_type: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
