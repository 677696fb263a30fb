"""Scheduled work: pulling from peers, draining the outbox, pruning old rows.

APScheduler runs the jobs in the node process by default (``scheduler = true``) or in ``spazi
worker``. Each run first takes a lease row in the database, so a job never runs twice at once
even with several gunicorn workers plus a worker process. The job functions only call the
functions tests call directly (``sync_due``, ``drain``, ``prune``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from node import features
from node.db import unavailable
from node.leases import HOLDER, release_lease, take_lease
from node.models import Block, OutboxMessage, Peer
from node.network.outbox import drain, prune
from node.network.peering import announce_if_changed, announcement_stale
from node.network.syncing import sync_due
from node.runtime import Node

if TYPE_CHECKING:  # imported where a scheduler is made: a job run needs neither
    from apscheduler.schedulers.base import BaseScheduler
    from flask import Flask

log = logging.getLogger("spazi.jobs")
# A push hint waits for one outbox tick at its sender and one sync tick at its receiver, so the
# ticks bound how long a new entry takes per hop of the network (the target is 2 s per hop).
# A tick with nothing due only reads: it takes no lease and writes nothing.
SYNC_TICK_S = 1
OUTBOX_TICK_S = 1


def _failed(name: str, exc: Exception) -> None:
    """Log a failed job run: one line for a busy, full or unreachable database (it comes back
    every tick while it lasts), the traceback for anything else."""
    why = unavailable(exc)
    if why is not None:
        log.warning("job %s skipped: %s", name, why)
    else:
        log.exception("job %s failed", name)


def _keep_lease(node: Node, name: str, ttl: timedelta, done: threading.Event) -> None:
    """Renew the lease every third of its time to live until ``done``: a job may run longer
    than its lease (a sync round of many slow peers takes ``sync_round_budget`` per batch of
    ``sync_threads``), and a lease that ran out would let a second process start the same job
    beside it."""
    while not done.wait(ttl.total_seconds() / 3):
        try:
            take_lease(node, name, ttl)
        except Exception as exc:  # the next renewal tries again; the lease outlives one miss
            _failed(name, exc)


def run_exclusive(node: Node, name: str, work: Callable[[], object], ttl: timedelta) -> bool:
    """Run ``work`` under the lease ``name``; False when another process holds it or the
    database could not be used (logged). A failing job never kills the scheduler: it logs and
    runs next time."""
    try:
        if not take_lease(node, name, ttl):
            return False
    except Exception as exc:
        _failed(name, exc)
        return False
    done = threading.Event()
    renewer = threading.Thread(
        target=_keep_lease, args=(node, name, ttl, done), name=f"lease-{name}", daemon=True
    )
    renewer.start()
    try:
        work()
    except Exception as exc:
        _failed(name, exc)
    finally:
        done.set()
        renewer.join()
        try:
            release_lease(node, name)
        except Exception as exc:  # the lease runs out by itself
            _failed(name, exc)
    return True


def guarded(job: Job) -> Callable[[Node], None]:
    """``job.run`` for the scheduler: a failure of its due check is logged like one of its work,
    so the scheduler never prints a traceback per tick."""

    def run(node: Node) -> None:
        try:
            job.run(node)
        except Exception as exc:
            _failed(job.name, exc)

    return run


def peers_due(node: Node) -> bool:
    """True when some active, unblocked peer's next pull has come (a read, no lease)."""
    with node.db.read() as session:
        query = select(Peer.id).where(
            Peer.state == "active",
            or_(Peer.next_try.is_(None), Peer.next_try <= node.now()),
            Peer.id.not_in(select(Block.node_id)),
        )
        return session.scalar(query.limit(1)) is not None


def messages_due(node: Node) -> bool:
    """True when the outbox holds a message due for (re)sending (a read, no lease)."""
    with node.db.read() as session:
        query = select(OutboxMessage.id).where(
            OutboxMessage.done.is_(False), OutboxMessage.next_try <= node.now()
        )
        return session.scalar(query.limit(1)) is not None


def sync_job(node: Node) -> None:
    if not peers_due(node):
        return

    def work() -> None:
        if sync_due(node).stored:
            # The round queued relayed hints: send them now rather than at the next outbox
            # tick, so each further hop waits for one tick, not two.
            outbox_job(node)

    run_exclusive(node, "sync", work, timedelta(minutes=10))


def outbox_job(node: Node) -> None:
    if not messages_due(node):
        return
    run_exclusive(node, "outbox", lambda: drain(node), timedelta(minutes=5))


def prune_job(node: Node) -> None:
    def work() -> None:
        with node.db.write() as session:
            prune(session, node)

    run_exclusive(node, "prune", work, timedelta(minutes=5))


def announce_job(node: Node) -> None:
    """Publish the peer list a peering change could not announce while our feed was behind
    (``node.network.peering.announce_if_changed``); a read when nothing changed."""
    with node.db.read() as session:
        if not announcement_stale(session, node):
            return

    def work() -> None:
        with node.db.write() as session:
            announce_if_changed(session, node)

    run_exclusive(node, "announce", work, timedelta(minutes=5))


@dataclass(frozen=True)
class Job:
    """A scheduled job of a feature: ``run(node)`` every ``seconds``.

    ``run`` takes its own lease (:func:`run_exclusive`) when it has work, so it may be called by
    the scheduler of every process at once.
    """

    name: str
    run: Callable[[Node], None]
    seconds: float


def mail_job(node: Node) -> None:
    """Send the queued notices that are due (node/mail.py); a read when none is."""
    from node import mail

    # Each notice is claimed as it is sent: no lease needed. With no mail server set, notices
    # wait (the admin may set one), and those too old to send are given up unsent.
    if mail.has_work(node):
        mail.drain(node)


# The core's own: a notice queued while the mail server was down, or by a process that ended
# before sending it, goes out within a tick of the server's return.
CORE_JOBS = (Job("mail", mail_job, 10),)

NETWORK_JOBS = (
    Job("sync", sync_job, SYNC_TICK_S),
    Job("outbox", outbox_job, OUTBOX_TICK_S),
    Job("prune", prune_job, 3600),
    Job("announce", announce_job, 300),
)


def add_jobs(scheduler: BaseScheduler, node: Node, prefix: str = "") -> None:
    """Every feature's jobs, under ids ``prefix + name`` (a hub schedules several nodes on one
    scheduler); ``max_instances=1`` and ``coalesce`` keep one run at a time here."""
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}
    for job in features.jobs().values():
        scheduler.add_job(
            guarded(job),
            "interval",
            seconds=job.seconds,
            args=[node],
            id=prefix + job.name,
            **common,
        )


def init_app(app: Flask) -> None:
    """Start the in-process scheduler unless disabled (setting) or testing."""
    node: Node = app.extensions["spazi"]
    if not node.settings["scheduler"] or app.testing:
        return
    # One line per job run every few seconds would drown the log; failures still show.
    from apscheduler.schedulers.background import BackgroundScheduler

    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = BackgroundScheduler(daemon=True)
    add_jobs(scheduler, node)
    scheduler.start()
    app.extensions["spazi_scheduler"] = scheduler
    log.info("scheduler started (%s)", ", ".join(features.jobs()))


def run_worker(node: Node) -> None:
    """``spazi worker``: run the jobs in the foreground until interrupted."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = BlockingScheduler()
    add_jobs(scheduler, node)
    log.info("worker started as %s", HOLDER)
    scheduler.start()
