"""The admin page of the people who run the node: admins and front-desk logins listed, one
added with a temporary password (shown once, on the answer to the form) or invited by e-mail
with a link to choose their own (when the node can send mail), a password reset to a new
temporary one or by a mailed link (their sessions end), one removed (their sessions end). An
admin cannot remove themself here, so a node always keeps someone who can log in (``spazi
admin`` in a terminal remains the way back in).

The same services as ``spazi admin create-user|password|remove`` (``node.services.admin_auth``).
"""

from __future__ import annotations

import logging

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from node import mail
from node.errors import Conflict, NodeError
from node.http.context import node
from node.messages import N_
from node.roles import ROLES
from node.services import admin_auth, admin_invites
from node.web.admin_pages import PageResult, admin_page, no_store, require_login

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")
bp.before_request(require_login)
bp.after_request(no_store)
log = logging.getLogger(__name__)


def _page(status: int = 200, **context: object) -> tuple[str, int]:
    with node().db.read() as session:
        users = admin_auth.list_users(session)
    context.setdefault("form", {})
    context.setdefault("errors", {})
    return admin_page(
        "admin/users.html",
        status=status,
        users=users,
        roles=ROLES,
        me=g.admin_email,
        mail_ready=mail.configured(node()),
        **context,
    )


@bp.get("")
def page() -> tuple[str, int]:
    """The admin users and the form to add one."""
    return _page()


@bp.post("")
def add() -> PageResult:
    """Add a user with a temporary password, shown on this answer only."""
    email = (request.form.get("email") or "").strip()
    role = request.form.get("role") or "admin"
    by_mail = bool(request.form.get("invite"))
    password = admin_auth.temporary_password()
    try:
        with node().db.write() as session:  # refused without mail: nothing is kept
            user = admin_auth.create_user(session, email, password, role)
            added = {"email": user.email, "role": user.role}
            if by_mail:
                admin_invites.send_invite(session, node(), user)
    except NodeError as exc:
        field = "role" if exc.field == "role" else "email"
        return _page(exc.status, form=request.form, errors={field: exc.message}, message=exc.detail)
    log.warning("admin %s added %s (%s)", g.admin_email, added["email"], added["role"])
    if by_mail:  # the temporary password is never shown: only the mailed link sets one
        return _page(201, invited=added)
    return _page(201, added=added, password=password)


@bp.post("/<int:user_id>/reset")
def reset(user_id: int) -> PageResult:
    """Give a user a new temporary password (shown once), or mail them a link to choose one
    (``by_mail``); their sessions end."""
    by_mail = bool(request.form.get("by_mail"))
    password = admin_auth.temporary_password()
    try:
        with node().db.write() as session:
            user = admin_auth.get_user(session, user_id)
            admin_auth.set_password(session, user, password)
            email = user.email
            if by_mail:
                admin_invites.send_invite(session, node(), user, again=True)
    except NodeError as exc:
        if exc.status == 404:
            raise
        return _page(exc.status, message=exc.detail)
    log.warning("admin %s reset the password of %s", g.admin_email, email)
    if by_mail:
        return _page(200, invited={"email": email, "reset": True})
    return _page(200, added={"email": email, "reset": True}, password=password)


@bp.post("/<int:user_id>/remove")
def remove(user_id: int) -> PageResult:
    """Remove a user (not oneself); their sessions end."""
    try:
        with node().db.write() as session:
            user = admin_auth.get_user(session, user_id)
            if user.email == g.admin_email:
                raise Conflict(
                    N_(
                        "you cannot remove yourself here; another admin can, or `spazi admin "
                        "remove`"
                    ),
                    reason="remove-self",
                )
            email = user.email
            admin_auth.remove_user(session, email)
    except NodeError as exc:
        if exc.status == 404:
            raise
        return _page(exc.status, message=exc.detail)
    log.warning("admin %s removed %s", g.admin_email, email)
    flash(_("%(email)s removed; their sessions have ended.", email=email))
    return redirect(url_for("admin_users.page"))
