"""The calls feature's scheduled work: answers whose call closed before they could be
delivered are given up (node/projects/answers.py), so the outbox does not retry them for ever."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from node.jobs import Job, run_exclusive
from node.models import OutboxMessage
from node.projects import answers
from node.runtime import Node

log = logging.getLogger(__name__)


def give_up_job(node: Node) -> None:
    """A read only, unless an answer is waiting in the outbox."""
    with node.db.read() as session:
        waiting = session.scalar(
            select(OutboxMessage.id)
            .where(OutboxMessage.kind == "project.answer", OutboxMessage.done.is_(False))
            .limit(1)
        )
    if waiting is None:
        return

    def work() -> None:
        with node.db.write() as session:
            count = answers.give_up_on_closed_calls(session, node)
        if count:
            log.info("gave up %d answer(s) to calls that closed before delivery", count)

    run_exclusive(node, "project-answers", work, timedelta(minutes=5))


PROJECT_JOBS = (Job("project-answers", give_up_job, 600),)
