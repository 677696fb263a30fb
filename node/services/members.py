"""The space's own members: private records, never published."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from node.clock import utcnow
from node.errors import Conflict, NotFound
from node.models import Member
from node.schemas import MemberSchema
from node.services.validation import load


def member_view(row: Member) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "email": row.email, "plan": row.plan}


def add_member(session: Session, data: Any) -> Member:
    fields = load(MemberSchema(), data)
    email = fields["email"].strip().lower()
    if session.scalar(select(Member).where(Member.email == email)) is not None:
        raise Conflict(f"a member with email {email} exists", reason="member-exists")
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


def list_members(session: Session) -> list[Member]:
    return list(session.scalars(select(Member).order_by(Member.name, Member.id)))


def get_member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound(f"no member {member_id}", reason="unknown-member")
    return member


def remove_member(session: Session, member_id: int) -> None:
    session.delete(get_member(session, member_id))
