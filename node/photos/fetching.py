"""Peers' photo files: fetched after sync, checked against the signed hash, cached within the
``photo_cache_bytes`` disk budget (protocol.md §Photos).

A file some mirrored record names and this node lacks is *due*. The ``photo-fetch`` job asks,
for each, the active peers (relays that may hold it) and then the origin's address, through the
node's one outbound client (``node.network.transport.peer_client``: the SSRF guard, timeouts,
and a size cap of the protocol's largest photo file). Bytes whose hash does not match, or that
are no photo type, are refused, logged, and never stored or shown; the next source is asked.
The verified size and type are stored, and a record whose descriptor declares others does not
show the file (``refs.shown``): a hostile record naming another's file with a wrong size hides
only its own photo, never the file. A file no source gave is tried
again later, with a doubling delay, at most :data:`MAX_TRIES` times. Before a file is stored
over the budget, cached files no current record names are evicted, oldest first; a file still
named is never evicted, and a file that does not fit waits: the run stops there, and that file
and the rest of the run are due again after :data:`FIRST_RETRY_MS` (one write), so a full cache
is not a busy loop. The node's own files are never evicted.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from federation.errors import ProtocolError, TransportError
from federation.photos import MAX_PHOTO_BYTES, PhotoMismatch
from federation.transport.client import PeerHTTPError
from node.jobs import Job, run_exclusive
from node.models import Peer
from node.network.transport import peer_client
from node.photos import files
from node.photos.models import PhotoFile, PhotoRef
from node.runtime import Node
from node.services.network import node_urls

log = logging.getLogger(__name__)

MAX_TRIES = 6
FIRST_RETRY_MS = 30_000  # then 1, 2, 4, 8 minutes
BATCH = 50  # files per run; the next tick takes the rest
TICK_S = 2  # a tick with nothing due only reads
SWEEP_EVERY_S = 3600
SWEEP_AGE_S = 3600  # an upload's files are on disk a moment before its row


@dataclass
class FetchReport:
    """What one run did."""

    stored: list[str] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=dict)  # hash -> sources that lied
    failed: dict[str, str] = field(default_factory=dict)  # hash -> last error
    waiting: list[str] = field(default_factory=list)  # over the disk budget
    evicted: list[str] = field(default_factory=list)


def _due_query(node: Node, now_ms: int) -> Any:
    return (
        select(PhotoRef)
        .outerjoin(PhotoFile, PhotoFile.hash == PhotoRef.hash)
        .where(
            PhotoRef.origin != node.node_id,
            or_(
                PhotoFile.hash.is_(None),
                (PhotoFile.stored.is_(False))
                & (PhotoFile.tries < MAX_TRIES)
                & (PhotoFile.next_try_ms <= now_ms),
            ),
        )
        .order_by(PhotoRef.hash)
    )


def any_due(node: Node) -> bool:
    """Whether a file waits to be fetched (one read)."""
    with node.db.read() as session:
        return session.scalar(_due_query(node, node.now_ms()).limit(1)) is not None


def _due(session: Session, node: Node, limit: int) -> dict[str, tuple[dict[str, Any], set[str]]]:
    """Due files: hash -> (what to fetch, the origins naming it). The records' descriptors may
    disagree (one may lie): the room made is the largest size any declares, within the cap."""
    due: dict[str, tuple[dict[str, Any], set[str]]] = {}
    for ref in session.scalars(_due_query(node, node.now_ms()).limit(limit * 4)):
        if ref.hash not in due:
            if len(due) == limit:
                break
            due[ref.hash] = ({"hash": ref.hash, "type": ref.media_type, "size": 0}, set())
        wanted, origins = due[ref.hash]
        wanted["size"] = min(max(wanted["size"], ref.size), MAX_PHOTO_BYTES)
        origins.add(ref.origin)
    return due


def _sources(session: Session, node: Node, origins: set[str]) -> list[str]:
    """Base URLs to ask: the active peers (relays), then the origins' own addresses."""
    peers = list(session.scalars(select(Peer.url).where(Peer.state == "active").order_by(Peer.id)))
    own = [url for _origin, url in sorted(node_urls(session, node, origins).items())]
    return list(dict.fromkeys(url for url in [*peers, *own] if url))


def cached_bytes(session: Session) -> int:
    """The bytes of peers' files this node keeps on disk."""
    total = session.scalar(
        select(func.coalesce(func.sum(PhotoFile.size), 0)).where(
            PhotoFile.stored.is_(True), PhotoFile.own.is_(False)
        )
    )
    return int(total or 0)


def _make_room(node: Node, size: int, report: FetchReport) -> bool:
    """Evict unreferenced cached files, oldest first, until ``size`` more bytes fit the budget;
    False when they cannot."""
    budget = int(node.settings["photo_cache_bytes"])
    with node.db.write() as session:
        used = cached_bytes(session)
        if used + size <= budget:
            return True
        named = select(PhotoRef.hash)
        evictable = session.scalars(
            select(PhotoFile)
            .where(
                PhotoFile.stored.is_(True),
                PhotoFile.own.is_(False),
                PhotoFile.hash.not_in(named),
            )
            .order_by(PhotoFile.stored_at, PhotoFile.hash)
        )
        for row in evictable:
            if used + size <= budget:
                break
            used -= row.size
            session.delete(row)
            report.evicted.append(row.hash)
    # The rows are gone (committed) before the files: a page never links to a missing file.
    for digest in report.evicted:
        files.remove(node, digest)
    return used + size <= budget


def _pending_row(session: Any, descriptor: dict[str, Any]) -> PhotoFile:
    """The row of a peer's file we do not hold yet, made on its first wait or failure."""
    row = session.get(PhotoFile, descriptor["hash"])
    if row is None:
        row = PhotoFile(
            hash=descriptor["hash"],
            own=False,
            stored=False,
            media_type=descriptor["type"],
            size=descriptor["size"],
            tries=0,
        )
        session.add(row)
    return row


def _record_failure(node: Node, descriptor: dict[str, Any], error: str) -> None:
    with node.db.write() as session:
        row = _pending_row(session, descriptor)
        if row.stored:
            return
        row.tries = (row.tries or 0) + 1
        row.next_try_ms = node.now_ms() + FIRST_RETRY_MS * 2 ** (row.tries - 1)
        row.last_error = error[:500]


def _wait(node: Node, descriptors: list[dict[str, Any]]) -> None:
    """Files the budget has no room for now are due again later, in one transaction (not a
    try: no source failed)."""
    with node.db.write() as session:
        for descriptor in descriptors:
            row = _pending_row(session, descriptor)
            if not row.stored:
                row.next_try_ms = node.now_ms() + FIRST_RETRY_MS
                row.last_error = "waiting for room in the photo cache"


def _store(node: Node, digest: str, data: bytes, media_type: str) -> None:
    # The file first, then the row: a row always means the file is there. The size and type
    # are the verified bytes', whatever a record declared (refs.shown compares them).
    files.write(node, digest, data)
    with node.db.write() as session:
        row = session.get(PhotoFile, digest)
        if row is None:
            row = PhotoFile(hash=digest, own=False, tries=0, next_try_ms=0)
            session.add(row)
        row.stored, row.stored_at, row.last_error = True, node.now(), None
        row.media_type, row.size = media_type, len(data)


def fetch_due(node: Node, limit: int = BATCH) -> FetchReport:
    """Fetch up to ``limit`` due files (what the job runs; tests call it directly)."""
    report = FetchReport()
    with node.db.read() as session:
        due = _due(session, node, limit)
        sources = {digest: _sources(session, node, origins) for digest, (_, origins) in due.items()}
    if not due:
        return report
    with peer_client(node) as client:
        for index, (digest, (descriptor, _origins)) in enumerate(due.items()):
            if not _make_room(node, descriptor["size"], report):
                # Everything left in the cache is still named: this file and the rest of the
                # run wait, due again after a delay, rather than be tried at every tick.
                rest = [d for d, _origins in list(due.values())[index:]]
                report.waiting += [d["hash"] for d in rest]
                _wait(node, rest)
                break
            errors: list[str] = []
            for base in sources[digest]:
                try:
                    data, media_type = client.get_photo_file(base, digest)
                except PhotoMismatch as exc:
                    # A relay (or the origin) serving other bytes: refused, never shown.
                    log.warning("photo %s from %s refused: %s", digest, base, exc.detail)
                    report.refused.setdefault(digest, []).append(base)
                    errors.append(f"{base}: refused, {exc.detail}")
                    continue
                except PeerHTTPError as exc:
                    errors.append(f"{base}: HTTP {exc.status}")
                    continue
                except (TransportError, ProtocolError) as exc:
                    errors.append(f"{base}: {exc.reason}")
                    continue
                _store(node, digest, data, media_type)
                report.stored.append(digest)
                break
            else:
                error = "; ".join(errors) or "no address to fetch it from"
                report.failed[digest] = error
                _record_failure(node, descriptor, error)
    if report.stored or report.refused:
        log.info(
            "photos: %d stored, %d refused, %d failed",
            len(report.stored),
            len(report.refused),
            len(report.failed),
        )
    return report


def photo_fetch_job(node: Node) -> None:
    """Fetch the due files of peers' photos; only a read when none is due."""
    if any_due(node):
        run_exclusive(node, "photo-fetch", lambda: fetch_due(node), timedelta(minutes=10))


def sweep(node: Node, min_age_s: float = SWEEP_AGE_S) -> list[str]:
    """Delete the files on disk that no ``photo_files`` row names (a blocked origin's, dropped
    by ``refs.drop_origin``), older than ``min_age_s``: a file is written before its row, so a
    younger one may be on its way in. Returns their hashes."""
    directory = files.photos_dir(node)
    if not directory.is_dir():
        return []
    on_disk = {
        path.name: path
        for path in directory.glob("??/*")
        if not path.name.startswith(".") and path.is_file()
    }
    if not on_disk:
        return []
    with node.db.read() as session:
        known = set(session.scalars(select(PhotoFile.hash)))
    cutoff = time.time() - min_age_s
    gone = []
    for digest, path in sorted(on_disk.items()):
        if digest not in known and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            gone.append(digest)
    return gone


def photo_sweep_job(node: Node) -> None:
    """Remove unnamed files from disk (a directory listing and one read)."""
    run_exclusive(node, "photo-sweep", lambda: sweep(node), timedelta(minutes=10))


PHOTO_JOBS = (
    Job("photo-fetch", photo_fetch_job, TICK_S),
    Job("photo-sweep", photo_sweep_job, SWEEP_EVERY_S),
)
