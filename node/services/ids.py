"""Readable, unique record ids for resources and events."""

from __future__ import annotations

import re
import secrets
import unicodedata


def slug(text: str, limit: int = 40) -> str:
    """``"Sala Grande — 2°"`` → ``"sala-grande-2"``; never empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return cleaned[:limit].strip("-") or "item"


def new_id(name: str) -> str:
    """A slug of ``name`` plus a short random suffix, so two "Hot desk" records never collide."""
    return f"{slug(name)}-{secrets.token_hex(3)}"
