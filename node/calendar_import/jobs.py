"""The calendar import's scheduled work: followed calendars are imported again every hour."""

from __future__ import annotations

import logging
from datetime import timedelta

from node.calendar_import import sync
from node.errors import NodeError
from node.feedcheck import writable
from node.jobs import Job, run_exclusive
from node.runtime import Node

log = logging.getLogger(__name__)

FOLLOW_EVERY = timedelta(hours=1)  # the REFRESH-INTERVAL calendars commonly ask for


def follow_calendars_job(node: Node) -> None:
    """Import the followed calendars that are due; a read only when none is."""
    with node.db.read() as session:
        due = sync.due(session, node.now(), FOLLOW_EVERY)
        if not due or not writable(session, node):
            return

    def work() -> None:
        for subscription_id in due:
            try:
                report = sync.sync(node, subscription_id)
            except NodeError as exc:  # recorded on the calendar; the others still run
                log.warning("calendar %s: %s", subscription_id, exc.detail)
                continue
            if not report.not_modified:
                log.info("calendar %s: %s", subscription_id, report.summary())

    run_exclusive(node, "calendar-import", work, timedelta(minutes=10))


CALENDAR_JOBS = (Job("calendar-import", follow_calendars_job, 600),)
