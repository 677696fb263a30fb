"""The roles of admin users, in one import-light place (the CLI lists them in its help)."""

from __future__ import annotations

ADMIN = "admin"  # every admin page and the admin API
DESK = "desk"  # the front-desk page only (node/web/protection.py)
ROLES = (ADMIN, DESK)
