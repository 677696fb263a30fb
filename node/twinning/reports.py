"""Monthly visit reports of the twinning exchange, the same on the CLI, the admin page and CSV.

Two directions: the guests we hosted (from our desk's ``visits``, per partner and member
pseudonym) and our members abroad (from the hosts' ``visit.report`` receipts, per partner and
member). The hosted side says what only it knows: a day whose report still waits in our outbox
for the home node or a day booked ahead that has not begun (unconfirmed), and a day the home
node refused to count (disputed: not its member, not its pass, no agreement).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from node import published
from node.clock import month_bounds
from node.errors import InvalidInput
from node.messages import N_
from node.models import Member, OutboxMessage
from node.twinning.models import ReceivedVisit, Visit, VisitMonth

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class ReportRow:
    """Days of one member with one partner in the month."""

    direction: str  # "hosted" (their member here) or "abroad" (our member there)
    partner_id: str
    partner: str  # the partner's name, or its id when we hold no profile
    member: str  # a pseudonym for guests we hosted; our member's name for ours abroad
    days: int
    # hosted days the home node has not counted yet: a report in our outbox, or a day booked
    # ahead (reported when it begins)
    unconfirmed: int = 0
    disputed: int = 0  # hosted days whose report the home node refused'


@dataclass
class VisitReport:
    """One month, both directions."""

    month: str
    rows: list[ReportRow] = field(default_factory=list)

    def rows_of(self, direction: str) -> list[ReportRow]:
        """The rows of one direction, by partner then member."""
        return [r for r in self.rows if r.direction == direction]

    def totals(self, direction: str) -> dict[str, int]:
        """Days per partner in one direction, labelled by name; counted by node id, so a node
        that takes another's name does not merge its figures into the other's."""
        days: dict[str, int] = defaultdict(int)
        names: dict[str, str] = {}
        for row in self.rows:
            names[row.partner_id] = row.partner
            if row.direction == direction:
                days[row.partner_id] += row.days
        taken = Counter(names.values())
        labels = {
            pid: name if taken[name] == 1 else f"{name} ({pid[-6:]})" for pid, name in names.items()
        }
        return dict(sorted((labels[pid], count) for pid, count in days.items()))


def check_month(text: str) -> str:
    """``YYYY-MM`` or :class:`InvalidInput`."""
    value = (text or "").strip()
    if not MONTH.match(value):
        raise InvalidInput(N_("month: give a month as YYYY-MM, e.g. 2026-12"))
    return value


def month_of(day: date) -> str:
    return day.isoformat()[:7]


def visit_report(session: Session, month: str, partner_id: str | None = None) -> VisitReport:
    """The report of ``month`` (``YYYY-MM``), for one partner or all of them."""
    month = check_month(month)
    first, following = month_bounds(date.fromisoformat(f"{month}-01"))
    report = VisitReport(month)
    pending, refused = _pending_reports(session)

    hosted: dict[tuple[str, str], list[str]] = defaultdict(list)
    query = select(Visit.home_id, Visit.member, Visit.day, Visit.jti, Visit.reported).where(
        Visit.day >= first, Visit.day < following
    )
    if partner_id:
        query = query.where(Visit.home_id == partner_id)
    for home_id, member, day, jti, reported in session.execute(query):
        key = f"{jti}|{day}"
        hosted[(home_id, member)].append(key)
        if not reported:  # booked ahead: reported when the day begins
            pending.add(key)

    abroad: dict[tuple[str, int | None], int] = defaultdict(int)
    query2 = select(ReceivedVisit.host_id, ReceivedVisit.member_id).where(
        ReceivedVisit.day >= first, ReceivedVisit.day < following
    )
    if partner_id:
        query2 = query2.where(ReceivedVisit.host_id == partner_id)
    for host_id, member_id in session.execute(query2):
        abroad[(host_id, member_id)] += 1

    partners = {key[0] for key in hosted} | {key[0] for key in abroad}
    names = published.space_names(session, partners)
    members = dict(
        session.execute(
            select(Member.id, Member.name).where(
                Member.id.in_({k[1] for k in abroad if k[1] is not None})
            )
        ).all()
    )
    for (home_id, pseudonym), keys in hosted.items():
        report.rows.append(
            ReportRow(
                "hosted",
                home_id,
                names.get(home_id, home_id),
                pseudonym,
                len(keys),
                unconfirmed=sum(1 for k in keys if k in pending and k not in refused),
                disputed=sum(1 for k in keys if k in refused),
            )
        )
    for (host_id, member_id), days in abroad.items():
        name = members.get(member_id, "") if member_id is not None else ""
        report.rows.append(ReportRow("abroad", host_id, names.get(host_id, host_id), name, days))
    report.rows.sort(key=lambda r: (r.direction, r.partner.casefold(), r.member))
    return report


# The home node's answers that mean "no" for good (protocol.md §Inbox, "Visit receipts").
REFUSALS = ("unknown-member", "unknown-pass", "bad-peer-state")


def _pending_reports(session: Session) -> tuple[set[str], set[str]]:
    """``jti|day`` of the visit reports still in our outbox, and of those the home node
    refused (they stay queued, so a mistake set right at the home node is counted after all)."""
    pending: set[str] = set()
    refused: set[str] = set()
    rows = session.execute(
        select(OutboxMessage.message, OutboxMessage.last_error).where(
            OutboxMessage.kind == "visit.report", OutboxMessage.done.is_(False)
        )
    )
    for message, error in rows:
        if not isinstance(message, dict):
            continue
        key = f"{message.get('jti')}|{message.get('day')}"
        pending.add(key)
        if error and any(f"problem:{reason}" in error for reason in REFUSALS):
            refused.add(key)
    return pending, refused


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: one starting with = + - @ would be a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def as_csv(report: VisitReport) -> str:
    """The report as CSV, one row per member and partner."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "direction", "partner", "partner_id", "member", "days",
                     "unconfirmed", "disputed"])  # fmt: skip
    for row in report.rows:
        writer.writerow(
            [report.month, row.direction, _cell(row.partner), row.partner_id, _cell(row.member),
             row.days, row.unconfirmed, row.disputed]
        )  # fmt: skip
    return out.getvalue()


@dataclass(frozen=True)
class Reciprocity:
    """Days each side gave the other's members under one agreement."""

    agreement_id: str
    partner_id: str
    gave_this_month: int  # days their members used here this month
    got_this_month: int  # days our members used there this month (as the host reported)
    gave_total: int  # since the agreement began
    got_total: int

    @property
    def balance(self) -> int:
        """Days given minus days received since the start: above 0, we gave more."""
        return self.gave_total - self.got_total


def reciprocity(session: Session, agreement_id: str, partner_id: str, month: str) -> Reciprocity:
    """The exchange under ``agreement_id`` with ``partner_id``: this month and since the start."""
    month = check_month(month)
    # Days given are the desk's own monthly figure (visit_months), one row a month.
    gave = dict(
        session.execute(
            select(VisitMonth.month, VisitMonth.days).where(VisitMonth.agreement_id == agreement_id)
        ).all()
    )
    got = Counter(
        day[:7]
        for day in session.scalars(
            select(ReceivedVisit.day).where(
                ReceivedVisit.agreement_id == agreement_id, ReceivedVisit.host_id == partner_id
            )
        )
    )
    return Reciprocity(
        agreement_id,
        partner_id,
        int(gave.get(month, 0)),
        got[month],
        int(sum(gave.values())),
        sum(got.values()),
    )
