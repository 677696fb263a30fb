"""A member's secret personal link to their pass page, and what that page shows of the partner
spaces they may visit.

The link is the credential (members have no password): 128 random bits in the URL, only its
SHA-256 kept, so a copy of the database does not open anyone's page. Because the secret is not
kept, the link is shown once when made; ``rotate`` makes a new one and the old one stops working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.agreements import grant_for
from node import published
from node.clock import local_today
from node.errors import Conflict
from node.formats import opening_hours_text
from node.models import Member
from node.runtime import Node
from node.secret_links import find_by_secret, new_secret
from node.services.members import get_member
from node.twinning import receipts
from node.twinning.models import GuestPass, MemberLink

LINK_PREFIX = "/m/"

def member_link(session: Session, node: Node, member_id: int, rotate: bool = False) -> str:
    """The path ``/m/<secret>`` of the member's pass page: a new link when there is none or
    when ``rotate`` (the old one then stops working)."""
    member = get_member(session, member_id)
    row = session.get(MemberLink, member.id)
    if row is not None and not rotate:
        raise Conflict(
            f"member {member_id} already has a link (made {row.created:%Y-%m-%d}); only the "
            "member holds it. Use --rotate to make a new one (the old one stops working)",
            reason="link-exists",
        )
    secret, hashed = new_secret()
    if row is None:
        session.add(MemberLink(member_id=member.id, secret_hash=hashed, created=node.now()))
    else:
        row.secret_hash, row.created = hashed, node.now()
    return LINK_PREFIX + secret


def member_for_link(session: Session, secret: str) -> Member | None:
    """The member whose link has this secret, or None (also for a malformed secret)."""
    row = find_by_secret(session, MemberLink.secret_hash, secret)
    return session.get(Member, row.member_id) if row is not None else None


@dataclass(frozen=True)
class PartnerSummary:
    """A partner space as the member's page shows it."""

    node_id: str
    name: str
    address: str
    hours: str
    timezone: str
    resource_kinds: list[str]
    days_per_member_month: int
    days_left_this_month: int
    days_used_this_month: int = 0  # as the host reported them (visit.report)


def _month(day: date) -> str:
    return day.isoformat()[:7]


def partner_summaries(session: Session, node: Node, member: Member) -> list[PartnerSummary]:
    """Every partner space that lets our members in today, with the days this member has
    left there this month (days for which they hold a pass count as used)."""
    found: list[PartnerSummary] = []
    for _agreement, standing in sorted(published.agreements(session, node.node_id).items()):
        doc = standing.document
        if not standing.in_force:
            continue
        partner = next((p for p in doc["parties"] if p != node.node_id), None)
        if partner is None:
            continue
        grant = grant_for(doc, partner, node.node_id)
        space = published.space(session, partner)
        if grant is None or space is None:
            continue
        profile = space.profile
        timezone = str(profile["timezone"])
        today = local_today(timezone, node.now_ms())
        if (
            not date.fromisoformat(doc["valid_from"])
            <= today
            < date.fromisoformat(doc["valid_until"])
        ):
            continue
        used = _days_with_passes(session, member.id, partner, timezone, today)
        visited = receipts.days_used(session, member.id, today)[partner]
        address = ", ".join(
            part for part in (profile.get("address", ""), profile.get("city", "")) if part
        )
        found.append(
            PartnerSummary(
                node_id=partner,
                name=space.name,
                address=address,
                hours=opening_hours_text(list(profile.get("opening_hours", []))),
                timezone=timezone,
                resource_kinds=list(grant["resource_kinds"]),
                days_per_member_month=int(grant["days_per_member_month"]),
                days_left_this_month=max(0, int(grant["days_per_member_month"]) - used),
                days_used_this_month=visited,
            )
        )
    return sorted(found, key=lambda p: p.name.casefold())


def _days_with_passes(
    session: Session, member_id: int, partner: str, timezone: str, today: date
) -> int:
    rows = session.scalars(
        select(GuestPass).where(
            GuestPass.member_id == member_id,
            GuestPass.partner_id == partner,
            GuestPass.revoked.is_(False),
        )
    )
    days = set()
    for row in rows:
        day = date.fromisoformat(row.day) if row.day else local_today(timezone, row.nbf * 1000)
        if _month(day) == _month(today):
            days.add(day)
    return len(days)
