"""The admin page of imported calendars: add one by its ICS address (imported at once), see
how each last went, import one again now, stop importing one. The same functions as
``spazi event import-ics`` and ``spazi event calendars``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, request, url_for
from flask_babel import gettext as _

from node.calendar_import import sync
from node.errors import NodeError
from node.http.context import node
from node.web.admin_pages import PageResult, admin_page, no_store, require_login
from node.web.formatting import ago
from node.web.i18n import localized

bp = Blueprint("calendar_import", __name__, url_prefix="/admin/calendars")
bp.before_request(require_login)
bp.after_request(no_store)


def _page(status: int = 200, **context: Any) -> tuple[str, int]:
    current = node()
    now = current.now()
    with current.db.read() as session:
        rows = [
            {
                "id": row.id,
                "url": row.url,
                "follow": row.follow,
                "checked": ago(row.last_checked, now),
                "error": row.last_error,
            }
            for row in sync.subscriptions(session)
        ]
    context.setdefault("form", {})
    context.setdefault("errors", {})
    return admin_page("admin/calendars.html", status=status, calendars=rows, **context)


@bp.get("")
def page() -> tuple[str, int]:
    """The imported calendars and the form to add one."""
    return _page()


@bp.post("")
def add() -> PageResult:
    """Subscribe to a calendar and import it now."""
    current = node()
    url = (request.form.get("url") or "").strip()
    follow = request.form.get("follow") == "on"
    try:
        with current.db.write() as session:
            subscription_id = sync.subscribe(session, current, url, follow).id
    except NodeError as exc:
        errors = {"url": exc.message} if exc.field == "url" else {}
        return _page(exc.status, form=request.form, errors=errors, message=exc.detail)
    return _sync(subscription_id, force=False)


def _sync(subscription_id: int, force: bool) -> PageResult:
    try:
        report = sync.sync(node(), subscription_id, force=force)
    except NodeError as exc:
        if exc.status == 404:
            raise
        return _page(exc.status, message=exc.detail)
    flash(_("Calendar imported: %(summary)s.", summary=localized(report.summary())))
    return redirect(url_for("calendar_import.page"))


@bp.post("/<int:subscription_id>/sync")
def sync_now(subscription_id: int) -> PageResult:
    """Import a calendar again now, even if it looks unchanged."""
    return _sync(subscription_id, force=True)


@bp.post("/<int:subscription_id>/remove")
def remove(subscription_id: int) -> PageResult:
    """Stop importing a calendar (the events it brought stay)."""
    with node().db.write() as session:
        sync.remove(session, subscription_id)
    flash(_("Calendar removed; the events it brought stay on the space's page."))
    return redirect(url_for("calendar_import.page"))


def init_app(app: Flask) -> None:
    """Register the page."""
    app.register_blueprint(bp)
