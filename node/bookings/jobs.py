"""The bookings feature's scheduled work: report each booked day to the guest's home node once
the day has begun (until then the guest may cancel it; node/bookings/service.py), and cancel
bookings that a revoked pass or an ended agreement has voided."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from node.bookings import service
from node.bookings.models import Booking
from node.clock import local_today
from node.jobs import Job, run_exclusive
from node.runtime import Node
from node.twinning import desk
from node.twinning.models import Visit


def report_booked_days_job(node: Node) -> None:
    """Queue the ``visit.report`` of the booked days that have begun; a read when none has."""
    with node.db.read() as session:
        today = local_today(desk.host_timezone(session, node), node.now_ms())
        due = session.scalar(
            select(Visit.id).where(Visit.reported.is_(False), Visit.day <= today.isoformat())
        )
    if due is None:
        return

    def work() -> None:
        with node.db.write() as session:
            desk.report_due_days(session, node, today)

    run_exclusive(node, "booked-day-reports", work, timedelta(minutes=5))


def void_bookings_job(node: Node) -> None:
    """Cancel the bookings a revocation or the end of an agreement has voided since."""

    def work() -> None:
        with node.db.write() as session:
            service.void_bookings(session, node)

    with node.db.read() as session:
        today = local_today(desk.host_timezone(session, node), node.now_ms())
        live = session.scalar(
            select(Booking.id).where(Booking.cancelled.is_(None), Booking.day > today.isoformat())
        )
    if live is not None:
        run_exclusive(node, "void-bookings", work, timedelta(minutes=5))


BOOKING_JOBS = (
    Job("booked-day-reports", report_booked_days_job, 600),
    Job("void-bookings", void_bookings_job, 900),
)
