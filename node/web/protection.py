"""The app's CSRF protection object, in a leaf module.

The admin blueprint asks it to check each of its requests, and :func:`node.web.init_app`
registers it on the app; keeping it out of ``node/web/__init__.py`` lets that package import its
blueprints at the top without the admin pages importing the package back.
"""

from __future__ import annotations

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
