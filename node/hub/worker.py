"""``spazi hub worker``: the scheduled jobs of every hosted space in one process.

Each space's jobs are scheduled as ``node.jobs.add_jobs`` does for one node, under ids prefixed
with its host, on one scheduler. A job still takes its lease in the space's own database
(``node.jobs.run_exclusive``), so a space's job never runs twice at once, even beside a
``spazi worker`` or a node process of that space; ``max_instances=1`` keeps one run per space and
job here. ``hub.toml`` is read again every ``REFRESH_S`` seconds: added spaces get their jobs,
removed ones lose them (ARCHITECTURE.md §Hosting many spaces).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from node import features
from node.hub.spaces import Hosted, HubError, hosted_spaces
from node.jobs import HOLDER, add_jobs
from node.runtime import Node

log = logging.getLogger("spazi.hub")
REFRESH_S = 10
# Threads running jobs: a sync round may wait on slow peers for minutes, and must not hold up the
# ticks of every other space.
MAX_THREADS = 32


def open_hosted(space: Hosted) -> Node:
    """Open a hosted space as ``spazi worker`` opens a node: the start-up check, its settings from
    ``spazi.toml`` only, the schema current, a pending key rotation finished."""
    from node.keystore import finish_pending_rotation
    from node.migrate import current_revision, head_revision
    from node.runtime import open_node
    from node.startup import registry_problems

    missing = registry_problems()
    if missing:
        raise HubError("this build's features do not cover protocol v1: " + "; ".join(missing))
    node = open_node(str(space.data_dir), environ={})
    node.hosted = True
    revision = current_revision(node.db.engine)
    if revision != head_revision():
        node.close()
        raise HubError(
            f"{space.data_dir}: database at revision {revision or 'none'}: "
            f"run `spazi --data-dir {space.data_dir} db upgrade`"
        )
    finish_pending_rotation(node)
    return node


class HubWorker:
    """The jobs of every space of the hub in ``hub_dir`` on ``scheduler``.

    ``prepare`` is called with each node once it is opened (tests route its peers in process).
    """

    def __init__(
        self,
        hub_dir: Path,
        scheduler: BaseScheduler,
        prepare: Callable[[Node], None] | None = None,
    ) -> None:
        self.hub_dir = Path(hub_dir)
        self.scheduler = scheduler
        self.prepare = prepare
        self.nodes: dict[str, tuple[Hosted, Node]] = {}
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Schedule the jobs of spaces new in ``hub.toml``; unschedule those of removed ones.

        A space that cannot be opened is logged and left out; the others run."""
        try:
            spaces = {space.host: space for space in hosted_spaces(self.hub_dir)}
        except (HubError, OSError) as exc:
            log.error("hub.toml not read, the jobs go on as they were: %s", exc)
            return
        with self._lock:
            for host, (space, node) in list(self.nodes.items()):
                if spaces.get(host) != space:
                    self._unschedule(host)
                    node.close()
                    del self.nodes[host]
                    log.info("jobs of %s stopped", host)
            for host, space in spaces.items():
                if host not in self.nodes:
                    self._schedule(space)

    def _schedule(self, space: Hosted) -> None:
        try:
            node = open_hosted(space)
        except Exception as exc:
            log.error("the jobs of %s do not run: %s", space.host, exc)
            return
        if self.prepare is not None:
            self.prepare(node)
        add_jobs(self.scheduler, node, prefix=f"{space.host}/")
        self.nodes[space.host] = (space, node)
        log.info("jobs of %s scheduled", space.host)

    def _unschedule(self, host: str) -> None:
        for job in features.jobs().values():
            with contextlib.suppress(LookupError):  # apscheduler's JobLookupError: never added
                self.scheduler.remove_job(f"{host}/{job.name}")

    def close(self) -> None:
        with self._lock:
            for host, (_, node) in list(self.nodes.items()):
                self._unschedule(host)
                node.close()
            self.nodes.clear()


def executors() -> dict[str, ThreadPoolExecutor]:
    return {"default": ThreadPoolExecutor(MAX_THREADS)}


def start_background(
    hub_dir: Path, prepare: Callable[[Node], None] | None = None
) -> tuple[HubWorker, BackgroundScheduler]:
    """The hub's jobs on a background scheduler (tests; the command uses :func:`run_hub_worker`)."""
    scheduler = BackgroundScheduler(executors=executors(), daemon=True)
    worker = HubWorker(hub_dir, scheduler, prepare)
    worker.refresh()
    scheduler.start()
    return worker, scheduler


def run_hub_worker(hub_dir: Path, on_ready: Callable[[HubWorker], None] | None = None) -> None:
    """``spazi hub worker``: every hosted space's jobs in the foreground until interrupted."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = BlockingScheduler(executors=executors())
    worker = HubWorker(hub_dir, scheduler)
    worker.refresh()
    scheduler.add_job(
        worker.refresh, "interval", seconds=REFRESH_S, id="hub-refresh", max_instances=1
    )
    if on_ready is not None:
        on_ready(worker)
    log.info("hub worker started as %s", HOLDER)
    try:
        scheduler.start()
    finally:
        worker.close()
