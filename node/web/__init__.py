"""The people-facing web part of the node: public pages, admin pages, ICS and Atom feeds.

CSRF protection covers the admin pages only. The JSON API and the federation endpoints
authenticate every request with a bearer token or an HTTP message signature, which a cross-site
form cannot send, and their clients never hold a CSRF token; so the check is switched off as the
app-wide default and the admin blueprint asks for it on each of its own requests.
"""

from __future__ import annotations

from flask import Flask

from node.web import (
    admin_cohosts,
    admin_members,
    admin_network,
    admin_pages,
    admin_tokens,
    admin_users,
    atom,
    calendar,
    conditional,
    embed,
    error_pages,
    i18n,
    network_pages,
    pages,
    rendering,
    sharing,
)
from node.web.protection import csrf


def init_app(app: Flask) -> None:
    """Register the web blueprints, CSRF protection and the HTML error pages on ``app``."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    i18n.init_app(app)
    rendering.init_app(app)
    conditional.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(sharing.bp)
    app.register_blueprint(calendar.bp)
    app.register_blueprint(atom.bp)
    app.register_blueprint(admin_pages.bp)
    app.register_blueprint(network_pages.bp)
    app.register_blueprint(embed.bp)
    app.register_blueprint(admin_network.bp)
    app.register_blueprint(admin_members.bp)
    app.register_blueprint(admin_tokens.bp)
    app.register_blueprint(admin_users.bp)
    app.register_blueprint(admin_cohosts.bp)
    error_pages.init_app(app)
