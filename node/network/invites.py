"""One-time invite codes: ``spazi-invite:`` + base64url of a small canonical JSON document.

The code carries the inviting node's URL and id (so the joiner can check it reached the right
node) and a random secret; the inviting node keeps only the secret's SHA-256.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.canonical import canonicalize, parse_strict
from federation.encoding import b64u_decode, b64u_encode, sha256_hex
from federation.errors import ProtocolError
from federation.keys import is_node_id
from node import published
from node.clock import aware
from node.db import fits_key
from node.errors import Conflict, Forbidden, InvalidInput, NotFound
from node.messages import N_
from node.models import Invite, Peer
from node.runtime import Node

PREFIX = "spazi-invite:"
MAX_TTL = timedelta(days=90)


def create_invite(session: Session, node: Node, ttl: timedelta) -> str:
    """A new one-time invite code valid for ``ttl``."""
    if not timedelta(minutes=1) <= ttl <= MAX_TTL:
        raise InvalidInput(N_("an invite lasts between 1 minute and 90 days"), reason="bad-expiry")
    now = node.now()
    secret = secrets.token_urlsafe(24)
    expires = now + ttl
    session.add(Invite(secret_hash=sha256_hex(secret.encode()), created=now, expires=expires))
    session.flush()
    doc = {
        "v": 1,
        "id": node.node_id,
        "url": node.url,
        "secret": secret,
        "exp": int(expires.timestamp()),
    }
    return PREFIX + b64u_encode(canonicalize(doc))


def parse_invite(code: str) -> dict[str, Any]:
    """Decode an invite code; :class:`InvalidInput` if it is not one."""
    text = code.strip()
    if not text.startswith(PREFIX):
        raise InvalidInput(
            N_("not a Spazi invite code (it starts with spazi-invite:)"), reason="bad-invite"
        )
    try:
        doc = parse_strict(b64u_decode(text[len(PREFIX) :]), max_bytes=4096)
    except ProtocolError as exc:
        raise InvalidInput(
            N_("the invite code is damaged; copy it again"), reason="bad-invite"
        ) from exc
    ok = (
        isinstance(doc, dict)
        and set(doc) == {"v", "id", "url", "secret", "exp"}
        and doc["v"] == 1
        and is_node_id(doc["id"])
        and isinstance(doc["url"], str)
        and doc["url"].startswith(("http://", "https://"))
        and isinstance(doc["secret"], str)
        and 16 <= len(doc["secret"]) <= 64
        and isinstance(doc["exp"], int)
    )
    if not ok:
        raise InvalidInput(N_("the invite code is damaged; copy it again"), reason="bad-invite")
    return doc


def check(session: Session, secret: str, now: datetime) -> Invite:
    """The usable invite with ``secret``; refuse unknown, used or expired codes.

    Read on its own before a ``peer.request`` makes the node fetch anything, so a guessed code
    costs no outbound call; :func:`redeem` checks again under a row lock.
    """
    return _usable(session, secret, now, lock=False)


def redeem(session: Session, secret: str, joiner: str, now: datetime) -> None:
    """Use up the invite with ``secret`` for ``joiner``; refuse unknown, used or expired codes."""
    row = _usable(session, secret, now, lock=True)
    row.used_at, row.used_by = now, joiner


def _usable(session: Session, secret: str, now: datetime, lock: bool) -> Invite:
    if not isinstance(secret, str) or not secret:
        raise Forbidden(N_("no invite secret"), reason="invite-unknown")
    query = select(Invite).where(Invite.secret_hash == sha256_hex(secret.encode()))
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise Forbidden(N_("this invite code is not known here"), reason="invite-unknown")
    if row.used_at is not None:
        raise Forbidden(
            N_("this invite code was already used; ask for a new one"), reason="invite-used"
        )
    if aware(row.expires) <= now:
        raise Forbidden(
            N_("this invite code has expired; ask for a new one"), reason="invite-expired"
        )
    return row


@dataclass(frozen=True)
class InviteView:
    """An invite as the admin sees it: never its secret, which only the code carried."""

    id: int
    created: datetime
    expires: datetime
    state: str  # "open", "used" or "expired"
    used_at: datetime | None
    used_by: str | None
    used_by_name: str  # its published name, else the name it gave when peering, else ""


LISTED = 50  # the newest invites shown; older ones are history nobody reads


def list_invites(session: Session, now: datetime) -> list[InviteView]:
    """The newest invites, newest first, each with where it stands at ``now``."""
    rows = list(session.scalars(select(Invite).order_by(Invite.id.desc()).limit(LISTED)))
    joiners = {row.used_by for row in rows if row.used_by}
    names = dict(session.execute(select(Peer.id, Peer.name).where(Peer.id.in_(joiners))).all())
    names.update(published.space_names(session, joiners))
    return [
        InviteView(
            row.id,
            aware(row.created),
            aware(row.expires),
            "used"
            if row.used_at is not None
            else "expired"
            if aware(row.expires) <= now
            else "open",
            aware(row.used_at) if row.used_at is not None else None,
            row.used_by,
            (names.get(row.used_by) or "") if row.used_by else "",
        )
        for row in rows
    ]


def withdraw_invite(session: Session, invite_id: int, now: datetime) -> Invite:
    """Make an unused invite expire now (a code shown to the wrong person)."""
    row = session.get(Invite, invite_id, with_for_update=True) if fits_key(invite_id) else None
    if row is None:
        raise NotFound(N_("no invite %(invite_id)s", invite_id=invite_id), reason="unknown-invite")
    if row.used_at is not None:
        raise Conflict(
            N_("invite %(invite_id)s was already used", invite_id=invite_id), reason="invite-used"
        )
    if aware(row.expires) > now:
        row.expires = now
    return row
