"""The twinning feature's scheduled work: publish the terminations whose last day has passed
(``spazi agreement terminate --effective DATE``)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from node.feedcheck import writable
from node.jobs import Job, run_exclusive
from node.runtime import Node
from node.twinning import agreements
from node.twinning.models import Agreement


def end_agreements_job(node: Node) -> None:
    """Publish due terminations; a read only when none is pending."""
    with node.db.read() as session:
        pending = session.scalar(
            select(Agreement.id).where(
                Agreement.state == "active", Agreement.ends_after.is_not(None)
            )
        )
        if pending is None or not writable(session, node):
            return

    def work() -> None:
        with node.db.write() as session:
            agreements.end_due(session, node)

    run_exclusive(node, "agreement-ends", work, timedelta(minutes=5))


TWINNING_JOBS = (Job("agreement-ends", end_agreements_job, 3600),)
