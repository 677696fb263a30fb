"""The admin page of joint events: other spaces' events that name this one as a co-host,
to confirm, decline, or withdraw from once confirmed (ARCHITECTURE.md §Joint events).

The same services as ``spazi event cohost-requests|cohost-confirm|cohost-decline``
(``node.services.cohosts``). Each answer is a POST with the admin pages' CSRF token.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _

from node.errors import NodeError
from node.http.context import node
from node.services import cohosts
from node.web.admin_pages import PageResult, admin_page, no_store, require_login

bp = Blueprint("admin_cohosts", __name__, url_prefix="/admin/cohosts")
bp.before_request(require_login)
bp.after_request(no_store)


def _page(status: int = 200, **context: object) -> tuple[str, int]:
    current = node()
    with current.db.read() as session:
        found = cohosts.invitations(session, current)
    by_state = {state: [i for i in found if i.state == state] for state in cohosts.STATES}
    return admin_page("admin/cohosts.html", status=status, **by_state, **context)


@bp.get("")
def page() -> tuple[str, int]:
    """Pending requests, confirmed joint events, and those declined or withdrawn."""
    return _page()


def _answer(action: str, origin: str, event_id: str) -> PageResult:
    current = node()
    try:
        with current.db.write() as session:
            if action == "confirm":
                title = cohosts.confirm(session, current, origin, event_id).body["title"]
                done = _(
                    "Confirmed: “%(title)s” now shows on this space's pages and calendar.",
                    title=title,
                )
            elif action == "withdraw":
                title = cohosts.withdraw(session, current, origin, event_id).body["title"]
                done = _(
                    "Withdrawn: “%(title)s” no longer shows on this space's pages.", title=title
                )
            else:
                state = cohosts.decline(session, current, origin, event_id)
                done = (
                    _("Withdrawn: the event no longer shows on this space's pages.")
                    if state == cohosts.WITHDRAWN
                    else _("Declined: the request is no longer pending.")
                )
    except NodeError as exc:
        if exc.status == 404:
            raise
        return _page(exc.status, message=exc.detail)
    flash(done)
    return redirect(url_for("admin_cohosts.page"))


@bp.post("/<origin>/<event_id>/confirm")
def confirm(origin: str, event_id: str) -> PageResult:
    """Co-host the event: publishes ``cohost.confirm``."""
    return _answer("confirm", origin, event_id)


@bp.post("/<origin>/<event_id>/decline")
def decline(origin: str, event_id: str) -> PageResult:
    """Decline a request (kept here only)."""
    return _answer("decline", origin, event_id)


@bp.post("/<origin>/<event_id>/withdraw")
def withdraw(origin: str, event_id: str) -> PageResult:
    """Stop co-hosting a confirmed event: publishes ``cohost.withdraw``."""
    return _answer("withdraw", origin, event_id)
