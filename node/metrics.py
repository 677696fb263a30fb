"""Prometheus metrics of the node (prometheus-client), served at ``/metrics``.

Counters are declared here, once, and incremented where things happen: HTTP requests by route
and status (``node/http/metrics_endpoint.py``), entries stored by sync, front-desk check-ins and
refusals by reason. Gauges that describe stored state (each peer's sync lag and failures, each
origin's entries, the outbox's depth and oldest message) are read from the database when
scraped, so every process reports the same values. With several gunicorn workers, set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory shared by them: counters are then summed
across workers (prometheus-client's multiprocess mode; deploy/README.md §Metrics).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

if TYPE_CHECKING:
    from node.runtime import Node

REQUESTS = Counter(
    "spazi_http_requests",
    "HTTP requests answered, by route (the URL rule, not the raw path) and status.",
    ["route", "method", "status"],
    registry=None,
)
ENTRIES_STORED = Counter(
    "spazi_sync_entries_stored",
    "Feed entries verified and stored by sync, by the peer they came from.",
    ["peer"],
    registry=None,
)
SYNC_ROUNDS = Counter(
    "spazi_sync_rounds",
    "Sync rounds with a peer, by outcome (ok, failed, out-of-time).",
    ["peer", "outcome"],
    registry=None,
)
CHECKINS = Counter(
    "spazi_checkins",
    "Guest passes checked at the front desk: admitted, or refused with the reason.",
    ["outcome", "reason"],
    registry=None,
)
COUNTERS = (REQUESTS, ENTRIES_STORED, SYNC_ROUNDS, CHECKINS)


class StoredState:
    """Gauges read from the database at scrape time."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def collect(self) -> Iterator[Metric]:
        from sqlalchemy import func, select

        from node.clock import aware
        from node.models import Origin, OutboxMessage, Peer

        lag = GaugeMetricFamily(
            "spazi_peer_lag_entries", "Entries a peer holds that we do not yet.", labels=["peer"]
        )
        failures = GaugeMetricFamily(
            "spazi_peer_failures", "Consecutive failed sync rounds with a peer.", labels=["peer"]
        )
        entries = GaugeMetricFamily(
            "spazi_origin_entries", "Entries held of each origin (its head seq).", labels=["origin"]
        )
        depth = GaugeMetricFamily("spazi_outbox_depth", "Inbox messages waiting in the outbox.")
        oldest = GaugeMetricFamily(
            "spazi_outbox_oldest_seconds", "Age of the oldest waiting outbox message."
        )
        with self.node.db.read() as session:
            for peer in session.scalars(select(Peer).where(Peer.state == "active")):
                lag.add_metric([peer.id], float(peer.lag or 0))
                failures.add_metric([peer.id], float(peer.failures or 0))
            for origin, seq in session.execute(select(Origin.id, Origin.head_seq)):
                entries.add_metric([origin], float(seq))
            waiting = OutboxMessage.done.is_(False)
            count = session.scalar(select(func.count()).select_from(OutboxMessage).where(waiting))
            first = session.scalar(select(func.min(OutboxMessage.created)).where(waiting))
        depth.add_metric([], float(count or 0))
        age = (self.node.now() - aware(first)).total_seconds() if first is not None else 0.0
        oldest.add_metric([], max(0.0, age))
        yield from (lag, failures, entries, depth, oldest)


def exposition(node: Node) -> bytes:
    """The metrics in the Prometheus text format, summed across workers in multiprocess mode.

    A space hosted by a hub shows only the gauges read from its own database: the process's
    counters sum every hosted space's requests, peers and check-ins, which are not its to show.
    """
    registry = CollectorRegistry(auto_describe=False)
    if node.hosted:
        pass
    elif os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for counter in COUNTERS:
            registry.register(counter)
    registry.register(StoredState(node))  # type: ignore[arg-type]
    return generate_latest(registry)
