"""Job leases: one run at a time across processes, and no wait for a crashed holder."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

from node.jobs import run_exclusive
from node.leases import release_lease, take_lease
from tests.support import SpaceNode


def test_a_lease_excludes_other_holders_until_released(space: SpaceNode) -> None:
    node = space.node
    me = f"{socket.gethostname()}:1"  # pid 1 always exists
    assert take_lease(node, "sync", timedelta(minutes=5), holder=me)
    assert not take_lease(node, "sync", timedelta(minutes=5), holder="other-host:42")
    assert take_lease(node, "sync", timedelta(minutes=5), holder=me)  # renewal
    release_lease(node, "sync", holder=me)
    assert take_lease(node, "sync", timedelta(minutes=5), holder="other-host:42")


def test_an_expired_lease_can_be_taken(space: SpaceNode, clock) -> None:
    node = space.node
    assert take_lease(node, "outbox", timedelta(seconds=30), holder="other-host:42")
    assert not take_lease(node, "outbox", timedelta(seconds=30), holder="third-host:7")
    clock.advance(31)
    assert take_lease(node, "outbox", timedelta(seconds=30), holder="third-host:7")


def test_a_dead_local_holder_does_not_block_the_job(space: SpaceNode) -> None:
    node = space.node
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = f"{socket.gethostname()}:{finished.stdout.strip()}"
    assert take_lease(node, "sync", timedelta(minutes=10), holder=dead)
    ran = []
    assert run_exclusive(node, "sync", lambda: ran.append(1), timedelta(minutes=10))
    assert ran == [1]


def test_a_failing_job_releases_its_lease(space: SpaceNode) -> None:
    def boom() -> None:
        raise RuntimeError("job failed")

    assert run_exclusive(space.node, "prune", boom, timedelta(minutes=5))
    assert take_lease(space.node, "prune", timedelta(minutes=5), holder="other-host:1")


def test_a_job_running_longer_than_its_lease_keeps_it(space: SpaceNode, clock) -> None:
    """The lease is renewed while the job runs, so a second process cannot start it beside."""
    import time

    from node.clock import aware
    from node.models import JobLease

    ttl = timedelta(seconds=0.3)  # renewed every 0.1 s of real time
    seen: list[bool] = []

    def expires() -> float:
        with space.node.db.read() as session:
            return aware(session.get(JobLease, "sync").expires).timestamp()

    def long_job() -> None:
        for _ in range(3):
            clock.advance(1)  # well past the lease's end, unless it is renewed
            deadline = time.monotonic() + 30
            while expires() <= space.node.now().timestamp():  # wait for the next renewal
                assert time.monotonic() < deadline, "the lease was not renewed"
                time.sleep(0.05)
            seen.append(take_lease(space.node, "sync", ttl, holder="other-host:42"))

    assert run_exclusive(space.node, "sync", long_job, ttl)
    assert seen == [False, False, False]
    assert take_lease(space.node, "sync", ttl, holder="other-host:42")  # released at the end
