"""Guest-day quotas of a twinning grant (protocol.md §Agreements, "Meaning"): pure arithmetic
shared by the front desk, the reports and the tests.

A grant gives a guest home's members ``days_per_member_month`` days each and
``days_total_month`` days all together per calendar month of the host. A member counts once per
day however often they come in. The caller passes the visits already counted in the month
(host-local dates) and the day asked for; nothing here reads a clock or a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

Outcome = Literal["admit", "already-today", "member-quota", "partner-quota"]


@dataclass(frozen=True)
class QuotaDecision:
    """What the quotas say about one member on one day, and the figures behind it.

    ``member_used`` and ``partner_used`` count the days of the month *including* this one when it
    is admitted (or was already counted), so a desk can say "day 1 of 2 this month".
    """

    outcome: Outcome
    member_used: int
    member_allowed: int
    partner_used: int
    partner_allowed: int

    @property
    def admitted(self) -> bool:
        """True when the member may come in (a new day, or one already counted)."""
        return self.outcome in ("admit", "already-today")


def same_month(a: date, b: date) -> bool:
    """Whether two days fall in one calendar month."""
    return (a.year, a.month) == (b.year, b.month)


def decide_counts(
    member_used: int,
    partner_used: int,
    already_today: bool,
    days_per_member_month: int,
    days_total_month: int,
) -> QuotaDecision:
    """The quota decision from the month's counts so far: the member's days, all members'
    days (each member-day once), and whether the member is already counted today."""
    if already_today:
        return QuotaDecision(
            "already-today", member_used, days_per_member_month, partner_used, days_total_month
        )
    if member_used >= days_per_member_month:
        outcome: Outcome = "member-quota"
    elif partner_used >= days_total_month:
        outcome = "partner-quota"
    else:
        return QuotaDecision(
            "admit", member_used + 1, days_per_member_month, partner_used + 1, days_total_month
        )
    return QuotaDecision(
        outcome, member_used, days_per_member_month, partner_used, days_total_month
    )


def decide(
    visits: Iterable[tuple[str, date]],
    member: str,
    day: date,
    days_per_member_month: int,
    days_total_month: int,
) -> QuotaDecision:
    """The quota decision for ``member`` on ``day`` given the (member, day) ``visits`` counted
    under the same grant. Visits outside ``day``'s month are ignored; duplicates count once.
    (A store that can count for itself calls :func:`decide_counts` with the counts.)"""
    month = {(m, d) for m, d in visits if same_month(d, day)}
    member_days = {d for m, d in month if m == member}
    return decide_counts(
        len(member_days), len(month), day in member_days, days_per_member_month, days_total_month
    )


def days_left(
    visits: Iterable[tuple[str, date]],
    member: str,
    day: date,
    days_per_member_month: int,
    days_total_month: int,
) -> int:
    """How many more days ``member`` may use in ``day``'s month (both quotas considered)."""
    month = {(m, d) for m, d in visits if same_month(d, day)}
    mine = sum(1 for m, _ in month if m == member)
    return max(0, min(days_per_member_month - mine, days_total_month - len(month)))
