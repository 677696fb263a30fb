"""Guest passes on the home side: issue one to a member for a partner space, list them, revoke
them (protocol.md §Guest passes).

A pass is issued only when the partner would admit it: the member is not suspended and an
agreement both spaces published lets our members in there on the visit day. Revoking publishes a
``pass.revoke`` entry (hashes only) in the same transaction; suspending or removing a member
revokes all their live passes in one entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation import passes as tokens
from federation.errors import ProtocolError
from node import published
from node.clock import local_day_end, local_day_start, local_today
from node.errors import Conflict, InvalidInput, NotFound
from node.formats import parse_date
from node.keystore import current_key
from node.messages import N_
from node.models import Member
from node.runtime import Node
from node.services.known_spaces import resolve_partner
from node.services.members import get_member
from node.services.publishing import publish
from node.twinning.agreements import in_force
from node.twinning.models import GuestPass

DAY_PASS_TTL = 86_400  # seconds: a pass without a visit day lasts 24 hours
MAX_DAYS_AHEAD = 6  # a day pass must end within 7 days of issuing (protocol.md §Guest passes)


@dataclass(frozen=True)
class IssuedPass:
    """A pass as the home node keeps it (times in Unix seconds)."""

    jti: str
    token: str
    member_id: int
    partner_id: str
    nbf: int
    exp: int
    revoked: bool
    day: str | None = None


def _issued(row: GuestPass) -> IssuedPass:
    return IssuedPass(
        row.jti, row.token, row.member_id, row.partner_id, row.nbf, row.exp, row.revoked, row.day
    )


def pass_name(member: Member) -> str:
    """The display name a pass carries: printable, trimmed, at most 64 characters."""
    text = "".join(c if c.isprintable() else " " for c in member.name)
    text = re.sub(r"\s+", " ", text).strip()[:64].strip()
    return text or member.pseudonym


def host_timezone(session: Session, partner_id: str) -> str:
    """The partner's time zone from its published listing (visit days are its dates)."""
    profile = published.space(session, partner_id)
    if profile is None:
        raise Conflict(
            N_("this space's listing has not reached us yet: sync with it first (spazi sync)"),
            reason="no-agreement",
        )
    return str(profile.profile["timezone"])


def issue_pass(
    session: Session, node: Node, member_id: int, partner: str, day: date | str | None = None
) -> IssuedPass:
    """Sign a pass for the member to visit ``partner`` (node id, URL or name): for the visit
    ``day`` (the partner's date), or for 24 hours from now."""
    member = get_member(session, member_id)
    if member.suspended:
        raise Conflict(
            N_(
                "member %(member_id)s is suspended: no guest passes (spazi member unsuspend)",
                member_id=member_id,
            ),
            reason="member-suspended",
        )
    space = resolve_partner(session, node, partner)
    timezone = host_timezone(session, space.node_id)
    now = int(node.clock())
    visit = parse_date(day, "day") if isinstance(day, str) else day
    if visit is None:
        window = (now, now + DAY_PASS_TTL)
        visit = local_today(timezone, now * 1000)
    else:
        start = int(local_day_start(visit, timezone).timestamp())
        end = int(local_day_end(visit, timezone).timestamp())
        if end <= now:
            raise InvalidInput(
                N_(
                    "day: %(visit)s has already ended at %(value)s",
                    visit=visit.isoformat(),
                    value=space.name or N_("the partner"),
                )
            )
        if end - now > tokens.MAX_PASS_TTL:
            raise InvalidInput(
                N_(
                    "day: a pass is issued at most %(max_days_ahead)s days ahead (passes are "
                    "short-lived); issue it closer to the visit",
                    max_days_ahead=MAX_DAYS_AHEAD,
                )
            )
        window = (max(start, now), end)
    found = in_force(session, space.node_id, node.node_id, visit)
    if found is None:
        raise Conflict(
            N_(
                "no agreement with %(value)s lets our members in on %(visit)s (spazi agreement "
                "list)",
                value=space.name or space.node_id,
                visit=visit.isoformat(),
            ),
            reason="no-agreement",
        )
    agreement_id, _grant = found
    try:
        token = tokens.issue_pass(
            current_key(session, node),
            space.node_id,
            member.pseudonym,
            pass_name(member),
            agreement_id,
            now,
            issuer=node.node_id,
            window=window,
        )
    except ProtocolError as exc:
        raise InvalidInput(exc.detail, reason=exc.reason) from exc
    claims = tokens.read_unverified(token)[1]
    row = GuestPass(
        jti=claims["jti"],
        member_id=member.id,
        partner_id=space.node_id,
        agreement_id=agreement_id,
        token=token,
        iat=now,
        nbf=claims["nbf"],
        exp=claims["exp"],
        day=visit.isoformat() if day is not None else None,
        revoked=False,
    )
    session.add(row)
    return _issued(row)


def live_passes(
    session: Session, node: Node, member_id: int | None = None, partner: str | None = None
) -> list[IssuedPass]:
    """Passes not revoked and not yet expired, soonest first."""
    query = select(GuestPass).where(GuestPass.revoked.is_(False), GuestPass.exp > int(node.clock()))
    if member_id is not None:
        query = query.where(GuestPass.member_id == member_id)
    if partner is not None:
        query = query.where(GuestPass.partner_id == resolve_partner(session, node, partner).node_id)
    return [_issued(row) for row in session.scalars(query.order_by(GuestPass.nbf, GuestPass.jti))]


def _publish_revocations(session: Session, node: Node, rows: list[GuestPass]) -> None:
    if rows:
        hashes = sorted({tokens.jti_hash(row.jti) for row in rows})
        for start in range(0, len(hashes), 1000):  # at most 1000 per entry (protocol.md)
            publish(session, node, "pass.revoke", {"jti_hashes": hashes[start : start + 1000]})
    for row in rows:
        row.revoked = True


def revoke_pass(session: Session, node: Node, jti: str) -> IssuedPass:
    """Revoke one pass: published as a ``pass.revoke`` entry of our feed."""
    row = session.get(GuestPass, jti.strip())
    if row is None:
        raise NotFound(
            N_("no pass %(jti)r: see spazi pass list", jti=jti.strip()[:64]), reason="unknown-pass"
        )
    if row.revoked:
        raise Conflict(N_("this pass is already revoked"), reason="already-revoked")
    _publish_revocations(session, node, [row])
    return _issued(row)


def revoke_member_passes(session: Session, node: Node, member_id: int) -> int:
    """Revoke every live pass of a member in one entry; how many."""
    rows = list(
        session.scalars(
            select(GuestPass).where(
                GuestPass.member_id == member_id,
                GuestPass.revoked.is_(False),
                GuestPass.exp > int(node.clock()),
            )
        )
    )
    _publish_revocations(session, node, rows)
    return len(rows)
