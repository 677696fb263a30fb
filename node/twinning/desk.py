"""The front desk: check a guest pass presented at this (host) node and count the guest day.

Offline by design (protocol.md §Guest passes, "Verification at the host"): the pass is checked
with the keys, revocations and agreements this node mirrored from the feeds, so the member's home
node being down changes nothing. Then the quotas of the agreement's grant (federation/quota.py)
per calendar month in our time zone; the same member counts once a day. A refusal is a result
with a reason a receptionist understands and changes nothing; an admission records the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from federation import passes as tokens
from federation.agreements import grant_for
from federation.errors import PassError
from federation.quota import decide_counts
from node import feedstore, metrics, published
from node.clock import aware, local_today, month_bounds, zone
from node.db import insert_or_ignore
from node.formats import resource_kind_label
from node.runtime import Node
from node.services.space import get_profile
from node.twinning import receipts
from node.twinning.models import Visit, VisitMonth

MAX_TOKEN_BYTES = 2048  # protocol.md §Guest passes: refused before parsing

# What the front desk reads for each refusal: the protocol's reasons (federation/passes.py,
# protocol.md §Guest passes), then the host's own.
MESSAGES: dict[str, str] = {
    **tokens.PASS_REASONS,
    "member-quota": "This member has used all their guest days here this month.",
    "partner-quota": "The members of this space have used all their guest days here this month.",
    "resource-not-covered": "The agreement does not cover this kind of space.",
}


@dataclass(frozen=True)
class CheckinResult:
    """The desk's answer. Figures count the month including today when admitted."""

    admitted: bool
    reason: str | None
    message: str
    name: str | None = None
    home_id: str | None = None
    home_name: str | None = None
    day: date | None = None
    member_days_used: int = 0
    member_days_allowed: int = 0
    partner_days_used: int = 0
    partner_days_allowed: int = 0
    already_today: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON for the API."""
        return {
            "admitted": self.admitted,
            "reason": self.reason,
            "message": self.message,
            "name": self.name,
            "home_id": self.home_id,
            "home_name": self.home_name,
            "day": self.day.isoformat() if self.day else None,
            "member_days_used": self.member_days_used,
            "member_days_allowed": self.member_days_allowed,
            "partner_days_used": self.partner_days_used,
            "partner_days_allowed": self.partner_days_allowed,
            "already_today": self.already_today,
        }


def _timezone(session: Session, node: Node) -> str:
    """Our time zone, from our own published profile (one row)."""
    ours = published.space(session, node.node_id)
    if ours is not None:
        return str(ours.profile["timezone"])
    return str(get_profile(session, node.node_id)["timezone"])


def _refused(reason: str, **details: Any) -> CheckinResult:
    return CheckinResult(False, reason, MESSAGES.get(reason, reason), **details)


def check_in(
    session: Session, node: Node, token: str, resource: str | None = None
) -> CheckinResult:
    """Check the pass ``token`` for a visit today (our date), for ``resource`` (a resource
    kind) if given, and count the day when admitted."""
    result = _check(session, node, token, resource)
    outcome = "admitted" if result.admitted else "refused"
    metrics.CHECKINS.labels(
        outcome, result.reason or ("already-today" if result.already_today else "")
    ).inc()
    return result


def _check(session: Session, node: Node, token: str, resource: str | None) -> CheckinResult:
    text = (token or "").strip()
    if not text or len(text.encode("utf-8", "replace")) > MAX_TOKEN_BYTES:
        return _refused("malformed")
    timezone = _timezone(session, node)
    now = int(node.clock())
    today = local_today(timezone, now * 1000)
    ring = feedstore.keyring(session)
    standing: dict[str, Any] = {}

    def is_revoked(issuer: str, jti_hash: str) -> bool:
        return published.is_revoked(session, issuer, jti_hash)

    def agreement_lookup(agreement: str, issuer: str) -> dict[str, Any] | None:
        found = published.agreement(session, agreement, ring)
        if found is None or not found.in_force or issuer not in found.document["parties"]:
            return None
        standing["doc"] = found.document
        return dict(found.document)

    try:
        claims = tokens.verify_pass(
            text,
            node.node_id,
            ring,
            now,
            is_revoked=is_revoked,
            agreement_lookup=agreement_lookup,
            day=today,
        )
    except PassError as exc:
        return _refused(exc.reason if exc.reason in MESSAGES else "malformed")
    home = claims["iss"]
    details: dict[str, Any] = {
        "name": claims["name"],
        "home_id": home,
        "home_name": published.space_names(session, [home]).get(home, ""),
        "day": today,
    }
    grant = grant_for(standing["doc"], node.node_id, home)
    assert grant is not None  # verify_pass checked the grant
    if resource is not None and resource not in grant["resource_kinds"]:
        return _refused("resource-not-covered", **details)
    first, following = month_bounds(today)
    month = first[:7]
    # The partner's month is one row (visit_months), locked until this check commits: two
    # desks checking the same partner's last day wait for each other instead of both
    # admitting (PostgreSQL; SQLite runs one write transaction at a time anyway).
    partner_used = _lock_month(session, claims["agr"], month)
    # The member's days are few: read on the uq_visits_member_day index.
    member_days = [
        day
        for day, agreement in session.execute(
            select(Visit.day, Visit.agreement_id).where(
                Visit.home_id == home,
                Visit.member == claims["sub"],
                Visit.day >= first,
                Visit.day < following,
            )
        )
        if agreement == claims["agr"]
    ]
    decision = decide_counts(
        len(member_days),
        partner_used,
        today.isoformat() in member_days,
        int(grant["days_per_member_month"]),
        int(grant["days_total_month"]),
    )
    figures: dict[str, Any] = {
        "member_days_used": decision.member_used,
        "member_days_allowed": decision.member_allowed,
        "partner_days_used": decision.partner_used,
        "partner_days_allowed": decision.partner_allowed,
    }
    if not decision.admitted:
        return _refused(decision.outcome, **details, **figures)
    already = decision.outcome == "already-today" or not _count_day(
        session, node, claims, today.isoformat(), month, resource
    )
    message = (
        f"Welcome, {claims['name']}: already checked in today."
        if already
        else f"Welcome, {claims['name']}: day {decision.member_used} of "
        f"{decision.member_allowed} this month."
    )
    return CheckinResult(True, None, message, already_today=already, **details, **figures)


def _lock_month(session: Session, agreement: str, month: str) -> int:
    """Guest days counted under ``agreement`` in ``month``, its row locked for this
    transaction (made at zero on the month's first check)."""
    query = (
        select(VisitMonth.days)
        .where(VisitMonth.agreement_id == agreement, VisitMonth.month == month)
        .with_for_update()
    )
    days = session.scalar(query)
    if days is None:
        session.execute(
            insert_or_ignore(session, VisitMonth).values(
                agreement_id=agreement, month=month, days=0
            )
        )
        days = session.scalar(query)
    return int(days or 0)


def _count_day(
    session: Session,
    node: Node,
    claims: dict[str, Any],
    day: str,
    month: str,
    resource: str | None,
) -> bool:
    """Record the member's guest day and add it to the month; False if another desk counted
    the same member today meanwhile (the unique index decides, nothing is added)."""
    inserted = session.execute(
        insert_or_ignore(session, Visit).values(
            agreement_id=claims["agr"],
            home_id=claims["iss"],
            member=claims["sub"],
            name=claims["name"],
            jti=claims["jti"],
            day=day,
            resource=resource,
            at=node.now(),
        )
    )
    if not getattr(inserted, "rowcount", 0):
        return False
    session.execute(
        update(VisitMonth)
        .where(VisitMonth.agreement_id == claims["agr"], VisitMonth.month == month)
        .values(days=VisitMonth.days + 1)
    )
    # The home node learns of the day through the outbox, committed with it.
    receipts.report_visit(
        session, node, claims["iss"], claims["agr"], claims["sub"], day, claims["jti"]
    )
    return True


@dataclass(frozen=True)
class VisitView:
    """One counted guest day as the desk page lists it."""

    time: datetime
    name: str
    home_id: str
    home_name: str
    resource: str | None
    resource_label: str
    day: date


def todays_checkins(session: Session, node: Node) -> list[VisitView]:
    """Today's guests (our date), latest first."""
    timezone = _timezone(session, node)
    today = local_today(timezone, node.now_ms())
    rows = list(
        session.scalars(
            select(Visit).where(Visit.day == today.isoformat()).order_by(Visit.at.desc())
        )
    )
    names = published.space_names(session, {row.home_id for row in rows})
    return [
        VisitView(
            time=aware(row.at).astimezone(zone(timezone)),
            name=row.name,
            home_id=row.home_id,
            home_name=names.get(row.home_id, ""),
            resource=row.resource,
            resource_label=resource_kind_label(row.resource) if row.resource else "",
            day=today,
        )
        for row in rows
    ]
