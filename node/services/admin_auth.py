"""Admin users (password login), their sessions, login throttling and admin API tokens, all
secrets stored hashed.

Passwords use werkzeug's salted scrypt (slow on purpose). Tokens and session ids are 32 random
bytes, so a plain SHA-256 suffices to store them: nobody can brute-force 256 bits, and a lookup is
one index hit.

Failed logins are counted per account and per client address in ``login_throttle``; from the
:data:`THROTTLE_AFTER`-th failure on, each failure locks the key for a window that doubles, and a
lock refuses even the right password. The rows live in the database so every worker agrees, and
time comes from the caller (the node's clock), so nothing ever sleeps.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from node.clock import aware, utcnow
from node.db import fits_key
from node.errors import Conflict, InvalidInput, NodeError, NotFound, Unauthorized
from node.messages import N_
from node.models import AdminInvite, AdminSession, AdminToken, AdminUser, LoginThrottle
from node.ratelimit import address_key
from node.roles import ROLES
from node.secret_links import find_by_secret, new_secret

TOKEN_PREFIX = "spz_"  # noqa: S105 - a label, not a secret
MIN_PASSWORD = 10
# Compared against when the email is unknown, so a login takes as long either way.
_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash to check against when the email is unknown; made on first use, not at import
    (scrypt is slow on purpose and every CLI command imports this module)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash("not-a-real-password")
    return _dummy_hash


def check_new_password(password: str) -> None:
    """:class:`InvalidInput` unless ``password`` is good enough to be set."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            N_("use at least %(count)s characters", count=MIN_PASSWORD),
            reason="weak-password",
            field="password",
        )


def create_user(session: Session, email: str, password: str, role: str = "admin") -> AdminUser:
    """A new admin user; :class:`InvalidInput` or :class:`Conflict` when it cannot be made."""
    if role not in ROLES:
        raise InvalidInput(
            N_("%(role)r is not one of %(items)s", role=role[:20], items=", ".join(ROLES)),
            field="role",
        )
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise InvalidInput(N_("not a valid email address"), field="email")
    check_new_password(password)
    if session.scalar(select(AdminUser).where(AdminUser.email == email)) is not None:
        raise Conflict(N_("admin user %(email)s exists", email=email), reason="user-exists")
    user = AdminUser(
        email=email,
        password_hash=generate_password_hash(password),
        created=utcnow(),
        role=role,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[AdminUser]:
    """Every admin user, by email."""
    return list(session.scalars(select(AdminUser).order_by(AdminUser.email)))


def get_user(session: Session, user_id: int) -> AdminUser:
    """The admin user ``user_id`` or :class:`NotFound`."""
    user = session.get(AdminUser, user_id) if fits_key(user_id) else None
    if user is None:
        raise NotFound(N_("no admin user %(user_id)s", user_id=user_id), reason="unknown-user")
    return user


def temporary_password() -> str:
    """A password to hand to a new admin (or one who forgot theirs), to change at once."""
    return secrets.token_urlsafe(12)


def find_user(session: Session, email: str) -> AdminUser:
    """The admin user with ``email`` or :class:`NotFound`."""
    email = email.strip().lower()
    user = session.scalar(select(AdminUser).where(AdminUser.email == email))
    if user is None:
        raise NotFound(N_("no admin user %(email)s", email=email), reason="unknown-user")
    return user


def check_login(session: Session, email: str, password: str) -> AdminUser:
    """The user whose email and password these are, or :class:`Unauthorized` (same message and
    about the same time whether the email is unknown or the password wrong)."""
    user = session.scalar(select(AdminUser).where(AdminUser.email == email.strip().lower()))
    if user is None:
        check_password_hash(_dummy(), password)
        raise Unauthorized(N_("wrong email or password"), reason="bad-login")
    if not check_password_hash(user.password_hash, password):
        raise Unauthorized(N_("wrong email or password"), reason="bad-login")
    return user


def set_password(session: Session, user: AdminUser, password: str, keep: str | None = None) -> int:
    """Give ``user`` a new password and end their sessions but ``keep`` (the secret of the
    session making the change, if any); returns how many sessions ended."""
    check_new_password(password)
    user.password_hash = generate_password_hash(password)
    return end_sessions(session, user.id, keep=keep)


def remove_user(session: Session, email: str) -> int:
    """Remove the admin user with ``email`` and end their sessions; returns how many ended."""
    user = find_user(session, email)
    ended = end_sessions(session, user.id)
    # Not left to ON DELETE CASCADE: SQLite enforces foreign keys only when asked to.
    session.execute(delete(AdminInvite).where(AdminInvite.user_id == user.id))
    session.delete(user)
    session.flush()
    return ended


# -- invitations ----------------------------------------------------------------------------------

INVITE_TTL = timedelta(days=3)  # an invitation link left unused stops working


def invite(session: Session, user: AdminUser, now: datetime) -> str:
    """A link secret that lets ``user`` choose their password once, within
    :data:`INVITE_TTL`; a new one replaces an unused older one (only its hash is kept)."""
    secret, hashed = new_secret()
    row = session.get(AdminInvite, user.id)
    if row is None:
        row = AdminInvite(user_id=user.id)
        session.add(row)
    row.secret_hash, row.expires = hashed, now + INVITE_TTL
    session.flush()
    return secret


def invited_user(session: Session, secret: object, now: datetime) -> AdminUser | None:
    """The user an unexpired invitation link is for, or None."""
    row = find_by_secret(session, AdminInvite.secret_hash, secret)
    if row is None or aware(row.expires) <= now:
        return None
    return session.get(AdminUser, row.user_id)


def accept_invite(session: Session, secret: object, password: str, now: datetime) -> AdminUser:
    """Set the invited user's password and spend the link; :class:`NotFound` for a link that
    is unknown, used or expired, :class:`InvalidInput` for a weak password (the link stays)."""
    user = invited_user(session, secret, now)
    if user is None:
        raise NotFound(
            N_("this invitation link is not valid (any more): ask an admin to invite you again"),
            reason="unknown-invite",
        )
    set_password(session, user, password)
    session.execute(delete(AdminInvite).where(AdminInvite.user_id == user.id))
    return user


# -- sessions -------------------------------------------------------------------------------------


def open_session(session: Session, user_id: int, now: datetime) -> str:
    """A new session of ``user_id``; the secret goes into the (signed) cookie, its hash here."""
    secret = secrets.token_urlsafe(32)
    session.add(AdminSession(id_hash=_hash_token(secret), user_id=user_id, created=now))
    session.flush()
    return secret


def session_user(session: Session, secret: object) -> AdminUser | None:
    """The user of the live session with ``secret``, or None (ended, unknown or not a string)."""
    if not isinstance(secret, str) or not secret:
        return None
    row = session.get(AdminSession, _hash_token(secret))
    return None if row is None else session.get(AdminUser, row.user_id)


def end_session(session: Session, secret: object) -> None:
    """End the session with ``secret`` (nothing happens if it has already ended)."""
    if isinstance(secret, str) and secret:
        session.execute(delete(AdminSession).where(AdminSession.id_hash == _hash_token(secret)))


def end_sessions(session: Session, user_id: int, keep: str | None = None) -> int:
    """End every session of ``user_id`` but ``keep``; returns how many ended."""
    query = delete(AdminSession).where(AdminSession.user_id == user_id)
    if keep:
        query = query.where(AdminSession.id_hash != _hash_token(keep))
    result = session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)


def other_sessions(session: Session, user_id: int, keep: str | None) -> int:
    """How many sessions of ``user_id`` there are besides ``keep``."""
    query = select(func.count()).select_from(AdminSession).where(AdminSession.user_id == user_id)
    if keep:
        query = query.where(AdminSession.id_hash != _hash_token(keep))
    return int(session.scalar(query) or 0)


# -- throttling -----------------------------------------------------------------------------------

THROTTLE_AFTER = 5  # failures of one key before it locks
LOCK_BASE_S = 60  # the first lock; each further failure doubles it
LOCK_MAX_S = 24 * 3600
FORGET_AFTER = timedelta(days=1)  # failures this old no longer count


class TooManyAttempts(NodeError):
    """Logins for this account or from this address are locked for ``retry_after`` seconds."""

    status = 429
    reason = "too-many-requests"
    title = "Too many attempts"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"too many attempts, try again in {minutes} {unit}")
        self.retry_after = retry_after


def throttle_keys(email: str, address: str | None) -> tuple[str, str]:
    """The two keys an attempt counts against: its account and its client address."""
    return "account:" + email.strip().lower()[:254], "address:" + address_key(address or "unknown")


def locked_for(session: Session, keys: tuple[str, ...], now: datetime) -> int:
    """Seconds until none of ``keys`` is locked any more (0: an attempt may go ahead)."""
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    waits = [
        (aware(row.locked_until) - now).total_seconds()
        for row in rows
        if row.locked_until is not None
    ]
    return max([0, *(math.ceil(w) for w in waits)])


def check_not_locked(session: Session, keys: tuple[str, ...], now: datetime) -> None:
    """:class:`TooManyAttempts` while any of ``keys`` is locked."""
    wait = locked_for(session, keys, now)
    if wait > 0:
        raise TooManyAttempts(wait)


def record_failure(session: Session, keys: tuple[str, ...], now: datetime) -> list[tuple[str, int]]:
    """Count a failed attempt against each key; returns the keys it locked, with the seconds."""
    # Old rows go first, so guessing with made-up emails cannot grow the table without bound.
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failure < now - FORGET_AFTER,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        )
    )
    locked: list[tuple[str, int]] = []
    for key in keys:
        row = _throttle_row(session, key, now)
        row.failures += 1
        row.last_failure = now
        if row.failures >= THROTTLE_AFTER:
            seconds = min(LOCK_MAX_S, LOCK_BASE_S * 2 ** min(row.failures - THROTTLE_AFTER, 20))
            row.locked_until = now + timedelta(seconds=seconds)
            locked.append((key, seconds))
    return locked


def forget_failures(session: Session, key: str) -> None:
    """A good login: the account's earlier failures no longer count."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def _throttle_row(session: Session, key: str, now: datetime) -> LoginThrottle:
    """The key's row, locked for this transaction (PostgreSQL; SQLite writes one at a time)."""
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        try:
            with session.begin_nested():
                row = LoginThrottle(key=key, failures=0, last_failure=now, locked_until=None)
                session.add(row)
        except IntegrityError:  # another worker made it meanwhile
            row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
            assert row is not None
    return row


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str) -> tuple[AdminToken, str]:
    """A new token; the secret is returned once and only its hash is kept."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput(N_("name: 1 to 100 characters"))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = AdminToken(name=name, token_hash=_hash_token(secret), created=utcnow(), revoked=False)
    session.add(row)
    session.flush()
    return row, secret


def list_tokens(session: Session) -> list[AdminToken]:
    return list(session.scalars(select(AdminToken).order_by(AdminToken.id)))


def revoke_token(session: Session, token_id: int) -> None:
    row = session.get(AdminToken, token_id) if fits_key(token_id) else None
    if row is None:
        raise NotFound(N_("no token %(token_id)s", token_id=token_id), reason="unknown-token")
    row.revoked = True


def check_token(session: Session, secret: str, now: datetime | None = None) -> AdminToken:
    """The live token matching ``secret`` or :class:`Unauthorized`."""
    digest = _hash_token(secret)
    row = session.scalar(select(AdminToken).where(AdminToken.token_hash == digest))
    if row is None or row.revoked or not hmac.compare_digest(row.token_hash, digest):
        raise Unauthorized(N_("missing, unknown or revoked admin token"), reason="bad-token")
    row.last_used = now or utcnow()
    return row
