"""Leases: one database row per job name, so a job never runs in two processes at once.

The scheduler of a running node, ``spazi worker`` and ``spazi sync`` take the same lease
(``node.jobs.run_exclusive`` renews it while a job runs). Kept apart from ``node.jobs`` so that a
command taking one imports neither the scheduler nor every job's code.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy import select

from node.clock import aware
from node.models import JobLease
from node.runtime import Node

HOLDER = f"{socket.gethostname()}:{os.getpid()}"


def take_lease(node: Node, name: str, ttl: timedelta, holder: str = HOLDER) -> bool:
    """Take (or renew) the lease ``name`` for ``holder``; False if someone else holds it."""
    now = node.now()
    with node.db.write() as session:
        lease = session.scalar(select(JobLease).where(JobLease.name == name).with_for_update())
        if lease is None:
            session.add(JobLease(name=name, holder=holder, expires=now + ttl))
            return True
        if lease.holder != holder and aware(lease.expires) > now and _holder_alive(lease.holder):
            return False
        lease.holder, lease.expires = holder, now + ttl
        return True


def _holder_alive(holder: str) -> bool:
    """False only when the holder was a process on this machine that no longer exists.

    A process killed mid-job never releases its lease; on the same host we can tell it is gone
    and take over at once instead of waiting for the lease to run out. Other hosts' holders are
    trusted until their lease expires.
    """
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def release_lease(node: Node, name: str, holder: str = HOLDER) -> None:
    """Let the lease ``name`` run out now, if ``holder`` still holds it."""
    with node.db.write() as session:
        lease = session.get(JobLease, name)
        if lease is not None and lease.holder == holder:
            lease.expires = node.now()
