"""The app's CSRF protection object, in a leaf module.

The admin blueprint asks it to check each of its requests, and :func:`node.web.init_app`
registers it on the app; keeping it out of ``node/web/__init__.py`` lets that package import its
blueprints at the top without the admin pages importing the package back.
"""

from __future__ import annotations

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

# What a ``desk`` user (AdminUser.role) may open besides logging out and changing their own
# password: features add their front-desk pages here when they register them.
DESK_ENDPOINTS: set[str] = {"admin_pages.logout", "admin_pages.password"}


def allow_desk(*endpoints: str) -> None:
    """Let desk users open ``endpoints`` (everything else in the admin answers 403)."""
    DESK_ENDPOINTS.update(endpoints)
