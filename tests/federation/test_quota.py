"""The quota arithmetic of a twinning grant: examples, and properties over random visits."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from federation.quota import days_left, decide, decide_counts

DAY = date(2026, 12, 10)


def test_days_are_counted_per_member_and_per_month() -> None:
    visits = [("ada", date(2026, 12, 1)), ("bob", date(2026, 12, 2)), ("ada", date(2026, 11, 30))]
    first = decide(visits, "ada", DAY, 2, 40)
    assert first.outcome == "admit" and first.member_used == 2 and first.partner_used == 3
    full = decide([*visits, ("ada", date(2026, 12, 5))], "ada", DAY, 2, 40)
    assert full.outcome == "member-quota" and not full.admitted
    again = decide([*visits, ("ada", DAY)], "ada", DAY, 2, 40)
    assert again.outcome == "already-today" and again.admitted and again.member_used == 2
    partner = decide(visits, "cy", DAY, 2, 2)
    assert partner.outcome == "partner-quota"
    # November's visit is another month.
    assert decide(visits, "ada", date(2026, 11, 29), 1, 40).outcome == "member-quota"


visit_lists = st.lists(
    st.tuples(
        st.sampled_from(["ada", "bob", "cy", "dee"]),
        st.integers(0, 60).map(lambda n: date(2026, 11, 15) + timedelta(days=n)),
    ),
    max_size=60,
)


@given(visit_lists, st.sampled_from(["ada", "bob", "eve"]), st.integers(1, 31), st.integers(1, 40))
def test_admitting_never_exceeds_either_quota(
    visits: list[tuple[str, date]], member: str, per_member: int, total: int
) -> None:
    """Replaying visits through ``decide`` keeps every month within both quotas, a member's
    day counts once, and ``days_left`` agrees with what the next decision says."""
    counted: list[tuple[str, date]] = []
    for who, day in sorted(visits, key=lambda v: v[1]):
        decision = decide(counted, who, day, per_member, total)
        if decision.outcome == "admit":
            counted.append((who, day))
        assert decision.member_used <= per_member and decision.partner_used <= total
    assert len(set(counted)) == len(counted)
    left = days_left(counted, member, DAY, per_member, total)
    fresh = decide(counted, member, DAY, per_member, total)
    if fresh.outcome != "already-today":
        assert (left > 0) == (fresh.outcome == "admit")


@given(
    st.integers(0, 40), st.integers(0, 60), st.booleans(), st.integers(1, 31), st.integers(1, 60)
)
def test_decisions_from_counts_never_exceed_the_quotas(
    member: int, partner: int, today: bool, per_member: int, total: int
) -> None:
    decision = decide_counts(member, partner, today, per_member, total)
    if decision.outcome == "admit":
        assert decision.member_used <= per_member and decision.partner_used <= total
    assert decision.admitted == (today or (member < per_member and partner < total))
