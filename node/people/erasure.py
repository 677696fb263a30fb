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
import time
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


TRUNCATE_TRIES = 3


def truncate_wal(engine: Engine, tries: int = TRUNCATE_TRIES) -> bool:
    """Checkpoint SQLite's WAL into the database file and truncate it to zero bytes; True when
    it was done. The checkpoint waits (the busy timeout) for readers of older snapshots, and is
    tried again a few times when one still holds on; False if it never got through (logged:
    SQLite's own checkpoints, or the next erasure, finish the job later)."""
    for attempt in range(tries):
        raw = engine.raw_connection()
        try:
            # The raw DB-API connection: the checkpoint must run outside any transaction.
            cursor = raw.cursor()
            busy, _log, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
        except Exception as exc:  # the erasure itself committed; a checkpoint is housekeeping
            busy = 1
            log.warning("WAL checkpoint after an erasure failed: %s", exc)
        finally:
            raw.close()
        if not busy:
            return True
        time.sleep(0.05 * (attempt + 1))
    log.warning("the WAL still holds erased pages: a reader kept it busy; retried %d times", tries)
    return False
