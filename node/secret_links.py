"""Secret links: a random secret handed to one person (a member's page, a guest's booking, an
invited admin's first password), of which the node keeps only the SHA-256, so a copy of the
database opens nobody's link. One home for making them and looking them up."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.encoding import sha256_hex

SECRET_BYTES = 16  # 128 bits: 22 characters in a URL
MAX_SECRET = 64  # longer text is no secret of ours and is not even hashed


def secret_hash(secret: str) -> str:
    """The lowercase hex SHA-256 of ``secret``: what the node stores."""
    return sha256_hex(secret.encode("utf-8"))


def new_secret() -> tuple[str, str]:
    """A fresh secret and its hash."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return secret, secret_hash(secret)


def find_by_secret(session: Session, column: Any, secret: object) -> Any | None:
    """The row whose ``column`` (a unique hash column of a model) holds the hash of
    ``secret``, or None, also for a secret that cannot be one."""
    if not isinstance(secret, str) or not secret or len(secret) > MAX_SECRET:
        return None
    wanted = secret_hash(secret)
    row = session.scalar(select(column.class_).where(column == wanted))
    # The lookup is by hash (an index); the comparison below is constant-time anyway.
    if row is None or not hmac.compare_digest(getattr(row, column.key), wanted):
        return None
    return row
