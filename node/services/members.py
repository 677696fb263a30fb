"""The space's own members: private records, never published."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from node.clock import utcnow
from node.db import fits_key
from node.errors import Conflict, NotFound
from node.features import member_leaving_hooks
from node.messages import N_
from node.models import Member
from node.runtime import Node
from node.services.validation import load

if TYPE_CHECKING:
    from node import schemas
else:  # marshmallow costs a tenth of a second to import; `spazi member list` never validates
    from node.lazy import lazy_module

    schemas = lazy_module("node.schemas")


def member_view(row: Member) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "email": row.email,
        "plan": row.plan,
        "suspended": row.suspended,
    }


def add_member(session: Session, data: Any) -> Member:
    fields = load(schemas.MemberSchema(), data)
    email = fields["email"].strip().lower()
    if session.scalar(select(Member).where(Member.email == email)) is not None:
        raise Conflict(
            N_("a member with email %(email)s exists", email=email), reason="member-exists"
        )
    member = Member(
        name=fields["name"],
        email=email,
        plan=fields["plan"],
        # Guest passes carry this instead of anything that identifies the person.
        pseudonym="m-" + secrets.token_urlsafe(12),
        created=utcnow(),
    )
    session.add(member)
    session.flush()
    return member


def list_members(session: Session, search: str | None = None) -> list[Member]:
    """Members by name; with ``search``, those whose name or email contains it (any case)."""
    query = select(Member)
    words = (search or "").strip().lower()
    if words:
        # The search is text, not a LIKE pattern: its own % and _ match themselves.
        literal = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{literal}%"
        query = query.where(
            or_(
                func.lower(Member.name).like(pattern, escape="\\"),
                Member.email.like(pattern, escape="\\"),
            )
        )
    return list(session.scalars(query.order_by(Member.name, Member.id)))


def update_member(session: Session, member_id: int, data: Any) -> Member:
    """Change a member's name, email or plan (any of them); the same checks as adding one."""
    fields = load(schemas.MemberSchema(), data, partial=True)
    member = get_member(session, member_id)
    if "email" in fields:
        email = fields["email"].strip().lower()
        other = session.scalar(select(Member).where(Member.email == email, Member.id != member_id))
        if other is not None:
            raise Conflict(
                N_("a member with email %(email)s exists", email=email), reason="member-exists"
            )
        member.email = email
    for name in ("name", "plan"):
        if name in fields:
            setattr(member, name, fields[name])
    return member


def get_member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id) if fits_key(member_id) else None
    if member is None:
        raise NotFound(N_("no member %(member_id)s", member_id=member_id), reason="unknown-member")
    return member


def _leaving(session: Session, node: Node, member: Member) -> None:
    """Tell each feature a member stops being one in good standing (the twinning feature
    revokes their guest passes), in the caller's transaction."""
    for hook in member_leaving_hooks():
        hook(session, node, member.id)


def remove_member(session: Session, node: Node, member_id: int) -> None:
    """Remove a member; their live guest passes are revoked in the same transaction."""
    member = get_member(session, member_id)
    _leaving(session, node, member)
    session.delete(member)


def suspend_member(session: Session, node: Node, member_id: int) -> Member:
    """Suspend a member: kept on record, their guest passes revoked, no new ones issued."""
    member = get_member(session, member_id)
    if member.suspended:
        raise Conflict(
            N_("member %(member_id)s is already suspended", member_id=member_id),
            reason="already-suspended",
        )
    member.suspended = True
    _leaving(session, node, member)
    return member


def unsuspend_member(session: Session, member_id: int) -> Member:
    """Lift a suspension (revoked passes stay revoked: issue new ones)."""
    member = get_member(session, member_id)
    if not member.suspended:
        raise Conflict(
            N_("member %(member_id)s is not suspended", member_id=member_id), reason="not-suspended"
        )
    member.suspended = False
    return member
