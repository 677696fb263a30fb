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
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session

from federation import passes as tokens
from federation.agreements import grant_for
from federation.errors import PassError
from federation.quota import QuotaDecision, decide_counts
from node import feedstore, metrics, published
from node.clock import aware, local_day_start, local_today, month_bounds, zone
from node.db import insert_or_ignore
from node.messages import N_
from node.models import OutboxMessage
from node.runtime import Node
from node.services.network import node_url
from node.services.space import get_profile
from node.twinning import receipts
from node.twinning.models import Visit, VisitMonth
from node.web.formatting import kind_label as resource_kind_label

MAX_TOKEN_BYTES = 2048  # protocol.md §Guest passes: refused before parsing

# What the front desk reads for each refusal: the protocol's reasons (federation/passes.py,
# protocol.md §Guest passes), then the host's own.
# The protocol's lines (federation.passes.PASS_REASONS), written out here so that the catalogue
# holds them; tests/node/test_translations.py checks they are the protocol's texts.
PASS_REASON_TEXTS: dict[str, str] = {
    "malformed": N_("This is not a readable Spazi guest pass."),
    "bad-signature": N_("The pass is not validly signed by its home space."),
    "unknown-issuer": N_(
        "The pass was signed with a key its home space does not (or did not) hold."
    ),
    "wrong-host": N_("The pass was issued for another space."),
    "not-yet-valid": N_("The pass is not valid yet."),
    "expired": N_("The pass has expired."),
    "revoked": N_("The home space has revoked this pass."),
    "no-agreement": N_("There is no active twinning agreement covering this visit today."),
}
MESSAGES: dict[str, str] = {
    **PASS_REASON_TEXTS,
    "member-quota": N_("This member has used all their guest days here this month."),
    "partner-quota": N_(
        "The members of this space have used all their guest days here this month."
    ),
    "resource-not-covered": N_("The agreement does not cover this kind of space."),
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


# The statements of every check, built once: building a statement and its cache key costs
# SQLAlchemy several times what SQLite takes to run it, and the desk runs a dozen per pass
# (tests/bench/README.md, bench_desk_check.py).
# (an update's bind names must differ from its columns' names)
_MONTH_OF = (
    VisitMonth.agreement_id == bindparam("of_agreement"),
    VisitMonth.month == bindparam("of_month"),
)
_MONTH_LOCKED = select(VisitMonth.days).where(*_MONTH_OF).with_for_update()
_MEMBER_DAYS = select(Visit.day, Visit.agreement_id).where(
    Visit.home_id == bindparam("home"),
    Visit.member == bindparam("member"),
    Visit.day >= bindparam("first"),
    Visit.day < bindparam("next"),
)
_MONTH_ADD_ONE = update(VisitMonth).where(*_MONTH_OF).values(days=VisitMonth.days + 1)


_VISIT_COLUMNS = ("agreement_id", "home_id", "member", "name", "jti", "day", "resource", "at")
_REPORT_COLUMNS = ("peer_id", "url", "kind", "message", "created", "tries", "next_try", "done")


def _binds(table: Any, prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    """Bind parameters named ``prefix`` + column, typed as the columns of ``table``."""
    return {name: bindparam(prefix + name, type_=table.c[name].type) for name in names}


_VISIT_VALUES = _binds(Visit.__table__, "v_", (*_VISIT_COLUMNS, "reported"))
_REPORT_VALUES = _binds(OutboxMessage.__table__, "o_", _REPORT_COLUMNS)
_REPORT_INSERT = insert(OutboxMessage).values(_REPORT_VALUES)


@cache
def _visit_insert(dialect: str) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` of one visit, for the dialect (built once each)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialects = {"postgresql": postgresql, "sqlite": sqlite}
    return dialects[dialect].insert(Visit).values(_VISIT_VALUES).on_conflict_do_nothing()


@cache
def _count_statement(with_report: bool) -> Any:
    """PostgreSQL: the day inserted unless counted already, and only then the month raised by
    one and (``with_report``) the ``visit.report`` queued, as one statement; it returns how
    many days it inserted (0 or 1). Data-modifying WITH parts run once each and see the
    insert's RETURNING, so all three happen or none."""
    counted = _visit_insert("postgresql").returning(Visit.id).cte("counted")
    new_day = exists(select(counted.c.id))
    added = (
        update(VisitMonth)
        .where(*_MONTH_OF, new_day)
        .values(days=VisitMonth.days + 1)
        .returning(VisitMonth.days)
        .cte("added")
    )
    parts = [counted, added]
    if with_report:
        values = select(*_REPORT_VALUES.values()).where(new_day)
        parts.append(
            insert(OutboxMessage)
            .from_select(list(_REPORT_COLUMNS), values)
            .returning(OutboxMessage.id)
            .cte("queued")
        )
    # Every part is named in the outer select, so each is rendered (and so runs); the first
    # column says whether the day was new.
    return select(*(select(func.count()).select_from(part).scalar_subquery() for part in parts))


def host_timezone(session: Session, node: Node) -> str:
    """Our time zone, in which visit days are dates: from our own published profile (one row)."""
    ours = published.profile(session, node.node_id)
    if ours is not None:
        return str(ours["timezone"])
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


class GuestRefused(Exception):
    """A pass refused for a visit day: ``reason`` is a key of :data:`MESSAGES`; ``details``
    what is known of the guest by then (name, home) for the answer."""

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Guest:
    """A pass verified for one visit day: its claims and the grant it stands under."""

    claims: dict[str, Any]
    grant: dict[str, Any]
    day: date
    home_name: str

    @property
    def details(self) -> dict[str, Any]:
        """What a desk or booking answer says of the guest."""
        return {
            "name": self.claims["name"],
            "home_id": self.claims["iss"],
            "home_name": self.home_name,
            "day": self.day,
        }


@dataclass(frozen=True)
class _Prefetched:
    """What :func:`published.desk_reads` said for the pass's unverified issuer, pass and
    agreement: the checks use it only for those very values, and read anything else."""

    issuer: str
    jti_hash: str
    agreement: str
    reads: published.DeskReads


def _prefetch(session: Session, node: Node, text: str) -> _Prefetched | None:
    """One statement for what the checks will ask of the pass (None for a token too malformed
    to name its issuer: it is refused before anything is read)."""
    if not text or len(text.encode("utf-8", "replace")) > MAX_TOKEN_BYTES:
        return None
    try:
        _header, claims = tokens.read_unverified(text)
        issuer, agreement = str(claims["iss"]), str(claims["agr"])
        jti_hash = tokens.jti_hash(str(claims["jti"]))
    except (PassError, KeyError, TypeError, ValueError):
        return None
    reads = published.desk_reads(session, node.node_id, issuer, jti_hash, agreement)
    return _Prefetched(issuer, jti_hash, agreement, reads)


def verify_guest(
    session: Session,
    node: Node,
    token: str,
    day: date,
    now: int,
    resource: str | None = None,
    prefetched: _Prefetched | None = None,
) -> Guest:
    """Verify the pass ``token`` for a visit on ``day`` (our date) as of ``now`` (Unix seconds;
    protocol.md §Guest passes, "Verification at the host"), and that its grant covers
    ``resource`` (a resource kind) if given; raise :class:`GuestRefused` otherwise.
    ``prefetched``: what the front desk read for this token in its transaction already."""
    text = (token or "").strip()
    if not text or len(text.encode("utf-8", "replace")) > MAX_TOKEN_BYTES:
        raise GuestRefused("malformed")
    ready = prefetched.reads if prefetched is not None else None
    ring = ready.ring if ready is not None else feedstore.keyring(session)
    standing: dict[str, Any] = {}

    def is_revoked(issuer: str, jti_hash: str) -> bool:
        if prefetched is not None and (issuer, jti_hash) == (
            prefetched.issuer,
            prefetched.jti_hash,
        ):
            return prefetched.reads.revoked
        return published.is_revoked(session, issuer, jti_hash)

    def agreement_lookup(agreement: str, issuer: str) -> dict[str, Any] | None:
        if prefetched is not None and agreement == prefetched.agreement:
            found = prefetched.reads.standing
        else:
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
            day=day,
        )
    except PassError as exc:
        raise GuestRefused(exc.reason if exc.reason in MESSAGES else "malformed") from exc
    home = claims["iss"]
    grant = grant_for(standing["doc"], node.node_id, home)
    assert grant is not None  # verify_pass checked the grant
    if prefetched is not None and home == prefetched.issuer:
        home_name = prefetched.reads.home_name
    else:
        home_name = published.space_names(session, [home]).get(home, "")
    guest = Guest(claims, dict(grant), day, home_name)
    if resource is not None and resource not in grant["resource_kinds"]:
        raise GuestRefused("resource-not-covered", **guest.details)
    return guest


@dataclass(frozen=True)
class Counted:
    """A guest day counted (or found counted) under the quotas, or refused by them."""

    decision: QuotaDecision
    new: bool  # a day added now (False: the member was counted that day already)

    @property
    def figures(self) -> dict[str, Any]:
        """The month's figures for an answer."""
        return {
            "member_days_used": self.decision.member_used,
            "member_days_allowed": self.decision.member_allowed,
            "partner_days_used": self.decision.partner_used,
            "partner_days_allowed": self.decision.partner_allowed,
        }


def count_guest_day(
    session: Session,
    node: Node,
    guest: Guest,
    resource: str | None,
    report: bool = True,
    home_url: str | None = None,
) -> Counted:
    """Count ``guest``'s day under both quotas of the grant, in the caller's transaction. A day
    already counted for the member counts once; ``report`` queues its ``visit.report`` now
    (False for a day booked ahead, reported when it begins: :func:`report_due_days`).
    ``home_url``: where the home node is reached when the caller read it already ("" for
    nowhere known); None reads it."""
    claims, grant, day = guest.claims, guest.grant, guest.day
    first, following = month_bounds(day)
    month = first[:7]
    # The partner's month is one row (visit_months), locked until this check commits: two
    # desks checking the same partner's last day wait for each other instead of both
    # admitting (PostgreSQL; SQLite runs one write transaction at a time anyway).
    partner_used = lock_month(session, claims["agr"], month)
    # The member's days are few: read on the uq_visits_member_day index.
    member_days = [
        visit_day
        for visit_day, agreement in session.connection().execute(
            _MEMBER_DAYS,
            {"home": claims["iss"], "member": claims["sub"], "first": first, "next": following},
        )
        if agreement == claims["agr"]
    ]
    decision = decide_counts(
        len(member_days),
        partner_used,
        day.isoformat() in member_days,
        int(grant["days_per_member_month"]),
        int(grant["days_total_month"]),
    )
    if not decision.admitted or decision.outcome == "already-today":
        return Counted(decision, False)
    new = _count_day(session, node, claims, day.isoformat(), month, resource, report, home_url)
    return Counted(decision, new)


def _check(session: Session, node: Node, token: str, resource: str | None) -> CheckinResult:
    now = int(node.clock())
    prefetched = _prefetch(session, node, (token or "").strip())
    ours = prefetched.reads.our_profile if prefetched is not None else None
    timezone = str(ours["timezone"]) if ours is not None else host_timezone(session, node)
    today = local_today(timezone, now * 1000)
    try:
        guest = verify_guest(session, node, token, today, now, resource, prefetched)
    except GuestRefused as refused:
        return _refused(refused.reason, **refused.details)
    home_url = None
    if prefetched is not None and guest.claims["iss"] == prefetched.issuer:
        home_url = prefetched.reads.home_url or ""
    counted = count_guest_day(session, node, guest, resource, home_url=home_url)
    if not counted.decision.admitted:
        return _refused(counted.decision.outcome, **guest.details, **counted.figures)
    already = not counted.new
    if already:
        # A day booked ahead is counted but reported only once it begins: now, at the latest.
        report_due_days(session, node, today, home=guest.claims["iss"], member=guest.claims["sub"])
        _arrived(session, node, guest.claims, today, timezone)
    message = (
        _("Welcome, %(claims_name)s: already checked in today.", claims_name=guest.claims["name"])
        if already
        else _(
            "Welcome, %(claims_name)s: day %(member_used)s of %(member_allowed)s this month.",
            claims_name=guest.claims["name"],
            member_used=counted.decision.member_used,
            member_allowed=counted.decision.member_allowed,
        )
    )
    return CheckinResult(
        True, None, message, already_today=already, **guest.details, **counted.figures
    )


def lock_month(session: Session, agreement: str, month: str) -> int:
    """Guest days counted under ``agreement`` in ``month``, its row locked for this
    transaction (made at zero on the month's first check). Everything that counts or gives
    back a day of that month takes it first, so they take turns."""
    key = {"of_agreement": agreement, "of_month": month}
    connection = session.connection()  # Core: see _count_day
    days = connection.scalar(_MONTH_LOCKED, key)
    if days is None:
        session.execute(
            insert_or_ignore(session, VisitMonth).values(
                agreement_id=agreement, month=month, days=0
            )
        )
        days = connection.scalar(_MONTH_LOCKED, key)
    return int(days or 0)


def _count_day(
    session: Session,
    node: Node,
    claims: dict[str, Any],
    day: str,
    month: str,
    resource: str | None,
    report: bool,
    home_url: str | None,
) -> bool:
    """Record the member's guest day, add it to the month and queue its report; False if
    another desk counted the same member that day meanwhile (the unique index decides, nothing
    is added)."""
    # Core statements on the session's connection (same transaction): the ORM's bulk-insert,
    # synchronize-session and flush machinery doubled the cost of these writes at the desk.
    connection = session.connection()
    home = claims["iss"]
    params: dict[str, Any] = {
        "v_agreement_id": claims["agr"],
        "v_home_id": home,
        "v_member": claims["sub"],
        "v_name": claims["name"],
        "v_jti": claims["jti"],
        "v_day": day,
        "v_resource": resource,
        "v_at": node.now(),
        "v_reported": report,
        "of_agreement": claims["agr"],
        "of_month": month,
    }
    row: dict[str, Any] | None = None
    if report:
        # The home node learns of the day through the outbox, committed with it.
        url = home_url if home_url is not None else node_url(session, node, home)
        if url:
            row = receipts.report_row(
                node, home, url, claims["agr"], claims["sub"], day, claims["jti"]
            )
            params.update({f"o_{name}": value for name, value in row.items()})
    if connection.dialect.name == "postgresql":
        # One round trip: the day, the month's figure and the report chained in a WITH.
        inserted = connection.execute(_count_statement(row is not None), params).scalar_one()
    else:
        # SQLite allows no INSERT or UPDATE inside WITH; its statements cost no round trip.
        done = connection.execute(_visit_insert(connection.dialect.name), params)
        inserted = getattr(done, "rowcount", 0)
        if inserted:
            connection.execute(_MONTH_ADD_ONE, params)
            if row is not None:
                connection.execute(_REPORT_INSERT, params)
    if inserted and report and row is None:
        receipts.unreported(home, claims["jti"], day)
    return bool(inserted)


def report_due_days(
    session: Session,
    node: Node,
    today: date,
    home: str | None = None,
    member: str | None = None,
) -> int:
    """Queue the ``visit.report`` of every booked day that has begun (up to ``today``, our
    date) and was not reported yet, optionally of one member only; how many."""
    query = select(Visit).where(Visit.reported.is_(False), Visit.day <= today.isoformat())
    if home is not None and member is not None:
        query = query.where(Visit.home_id == home, Visit.member == member)
    rows = list(session.scalars(query.order_by(Visit.id)))
    for row in rows:
        receipts.report_visit(
            session, node, row.home_id, row.agreement_id, row.member, row.day, row.jti
        )
        row.reported = True
    return len(rows)


def release_guest_day(session: Session, home: str, member: str, day: str) -> bool:
    """Give back a booked day not begun yet (its booking cancelled): the member's visit row
    goes and the partner's month shrinks by one; False when no unreported day was counted."""
    row = session.scalar(
        select(Visit).where(
            Visit.home_id == home,
            Visit.member == member,
            Visit.day == day,
            Visit.reported.is_(False),
        )
    )
    if row is None:
        return False
    lock_month(session, row.agreement_id, day[:7])
    session.delete(row)
    session.execute(
        update(VisitMonth)
        .where(VisitMonth.agreement_id == row.agreement_id, VisitMonth.month == day[:7])
        .values(days=VisitMonth.days - 1)
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


def _arrived(
    session: Session, node: Node, claims: dict[str, Any], today: date, timezone: str
) -> None:
    """A guest whose day was counted before today (a booking) came in: the visit's time
    becomes now, so today's guests list them from now on."""
    start = local_day_start(today, timezone)
    session.execute(
        update(Visit)
        .where(
            Visit.home_id == claims["iss"],
            Visit.member == claims["sub"],
            Visit.day == today.isoformat(),
            Visit.at < start,
        )
        .values(at=node.now())
    )


def todays_checkins(session: Session, node: Node) -> list[VisitView]:
    """Today's guests (our date), latest first: days counted today, so a guest who booked
    ahead shows once they come in (their booking is in the desk's list of bookings)."""
    timezone = host_timezone(session, node)
    today = local_today(timezone, node.now_ms())
    rows = list(
        session.scalars(
            select(Visit)
            .where(Visit.day == today.isoformat(), Visit.at >= local_day_start(today, timezone))
            .order_by(Visit.at.desc())
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
