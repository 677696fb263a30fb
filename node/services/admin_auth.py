"""Admin users (password login) and admin API tokens, all stored hashed.

Passwords use werkzeug's salted scrypt (slow on purpose). Tokens are 32 random bytes, so a plain
SHA-256 suffices to store them: nobody can brute-force 256 bits, and a lookup is one index hit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from node.clock import utcnow
from node.errors import Conflict, InvalidInput, NotFound, Unauthorized
from node.models import AdminToken, AdminUser

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


def create_user(session: Session, email: str, password: str) -> AdminUser:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise InvalidInput("email: not a valid email address")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"password: use at least {MIN_PASSWORD} characters", reason="weak-password"
        )
    if session.scalar(select(AdminUser).where(AdminUser.email == email)) is not None:
        raise Conflict(f"admin user {email} exists", reason="user-exists")
    user = AdminUser(email=email, password_hash=generate_password_hash(password), created=utcnow())
    session.add(user)
    session.flush()
    return user


def check_login(session: Session, email: str, password: str) -> AdminUser:
    user = session.scalar(select(AdminUser).where(AdminUser.email == email.strip().lower()))
    if user is None:
        check_password_hash(_dummy(), password)
        raise Unauthorized("wrong email or password", reason="bad-login")
    if not check_password_hash(user.password_hash, password):
        raise Unauthorized("wrong email or password", reason="bad-login")
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str) -> tuple[AdminToken, str]:
    """A new token; the secret is returned once and only its hash is kept."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("name: 1 to 100 characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = AdminToken(name=name, token_hash=_hash_token(secret), created=utcnow(), revoked=False)
    session.add(row)
    session.flush()
    return row, secret


def list_tokens(session: Session) -> list[AdminToken]:
    return list(session.scalars(select(AdminToken).order_by(AdminToken.id)))


def revoke_token(session: Session, token_id: int) -> None:
    row = session.get(AdminToken, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}", reason="unknown-token")
    row.revoked = True


def check_token(session: Session, secret: str, now: datetime | None = None) -> AdminToken:
    """The live token matching ``secret`` or :class:`Unauthorized`."""
    digest = _hash_token(secret)
    row = session.scalar(select(AdminToken).where(AdminToken.token_hash == digest))
    if row is None or row.revoked or not hmac.compare_digest(row.token_hash, digest):
        raise Unauthorized("missing, unknown or revoked admin token", reason="bad-token")
    row.last_used = now or utcnow()
    return row
