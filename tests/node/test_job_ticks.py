"""Scheduler ticks: idle ticks write nothing; a storing sync sends its relayed hints at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from node.jobs import SYNC_TICK_S, add_jobs, messages_due, outbox_job, peers_due, sync_job
from node.models import Event, JobLease, OutboxMessage
from tests.network import Network, network
from tests.support import FakeClock, SpaceNode

EVENT = {"title": "Open day", "start": "2026-12-05T10:00", "end": "2026-12-05T16:00"}


def _leases(space: SpaceNode) -> int:
    with space.node.db.read() as session:
        return session.scalar(select(func.count()).select_from(JobLease)) or 0


def _unsent(net: Network, name: str) -> int:
    with net[name].node.db.read() as session:
        query = select(func.count()).select_from(OutboxMessage)
        return session.scalar(query.where(OutboxMessage.done.is_(False))) or 0


class _Recorder:
    def __init__(self) -> None:
        self.seconds: dict[str, int] = {}

    def add_job(self, func: object, trigger: str, **kwargs: Any) -> None:
        self.seconds[kwargs["id"]] = kwargs.get("seconds", 0)


def test_ticks_bound_the_time_per_hop(space: SpaceNode) -> None:
    recorder = _Recorder()
    add_jobs(recorder, space.node)  # type: ignore[arg-type]
    # One outbox tick at the sender plus one sync tick at the receiver: within 2 s per hop.
    assert recorder.seconds["sync"] + recorder.seconds["outbox"] <= 2
    assert recorder.seconds["sync"] == SYNC_TICK_S


def test_idle_ticks_take_no_lease(space: SpaceNode) -> None:
    assert not peers_due(space.node) and not messages_due(space.node)
    sync_job(space.node)
    outbox_job(space.node)
    assert _leases(space) == 0


def test_a_storing_sync_sends_the_relayed_hints_in_the_same_tick(
    tmp_path: Path, clock: FakeClock
) -> None:
    with network(tmp_path, clock) as net:
        for name in "abc":
            net.add(name)
        net.peer("a", "b")
        net.peer("b", "c")
        net.settle()
        clock.advance(1)
        assert not peers_due(net["b"].node)
        event_id = (
            net["a"]
            .client.post("/api/v1/events", json=EVENT, headers=net["a"].auth())
            .get_json()["id"]
        )
        assert messages_due(net["a"].node)
        outbox_job(net["a"].node)  # a's hint reaches b: b is now due for a
        assert _unsent(net, "a") == 0 and peers_due(net["b"].node)
        sync_job(net["b"].node)
        # b pulled, and its hint to c already left: c is due without any outbox tick at b.
        assert _unsent(net, "b") == 0
        assert peers_due(net["c"].node)
        sync_job(net["c"].node)
        with net["c"].node.db.read() as session:
            assert session.get(Event, (net["a"].id, event_id)) is not None
