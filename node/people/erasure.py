"""Erasing detached bodies so that their bytes leave the database (protocol.md §Detached
bodies; ARCHITECTURE.md §People).

A deleted row is not yet gone from the disk. On SQLite the node opens every connection with
``PRAGMA secure_delete=ON`` (node/db.py), so SQLite overwrites the freed cells and pages with
zeros; the old page images still sit in the write-ahead log until a checkpoint, so after a
transaction that erased something the WAL is checkpointed and truncated. On PostgreSQL a deleted
row is a dead tuple until (auto)vacuum reclaims its space; the node deletes the row in the same
transaction and leaves the vacuum to the server's autovacuum.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from sqlalchemy import delete, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from node.models import DetachedBody

log = logging.getLogger(__name__)

_MARK = "spazi_erased"


def erase_bodies(session: Session, origin: str, seqs: Collection[int] | None = None) -> None:
    """Delete the detached bodies of ``origin`` at ``seqs`` (all of them when None), in the
    caller's transaction; on SQLite the WAL is truncated once it commits."""
    query = delete(DetachedBody).where(DetachedBody.origin == origin)
    if seqs is not None:
        if not seqs:
            return
        query = query.where(DetachedBody.seq.in_(list(seqs)))
    session.execute(query)
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and not session.info.get(_MARK):
        session.info[_MARK] = True
        engine = bind if isinstance(bind, Engine) else bind.engine

        def after_commit(committed: Session) -> None:
            committed.info.pop(_MARK, None)
            truncate_wal(engine)

        def after_rollback(rolled_back: Session) -> None:
            rolled_back.info.pop(_MARK, None)

        event.listen(session, "after_commit", after_commit, once=True)
        event.listen(session, "after_soft_rollback", after_rollback, once=True)


def truncate_wal(engine: Engine) -> bool:
    """Checkpoint SQLite's WAL into the database file and truncate it to zero bytes; True when
    it was done (False when a reader still held an old snapshot: the next erasure, or SQLite's
    own checkpoints, finish the job)."""
    raw = engine.raw_connection()
    try:
        # The raw DB-API connection: the checkpoint must run outside any transaction.
        cursor = raw.cursor()
        busy, _log, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    except Exception as exc:  # the erasure itself committed; a checkpoint is housekeeping
        log.warning("WAL checkpoint after an erasure failed: %s", exc)
        return False
    finally:
        raw.close()
    return not busy
