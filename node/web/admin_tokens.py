"""The admin page of API tokens: create one (its secret shown once, on the answer to the form
and nowhere else), list them with when each was last used, revoke one.

The same services as ``spazi admin token …`` (``node.services.admin_auth``). A token's secret is
never put in the session, a flash message or a redirect: only its hash is stored.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from node.errors import InvalidInput, NodeError
from node.http.context import node
from node.services import admin_auth
from node.web.admin_pages import PageResult, admin_page, no_store, require_login

bp = Blueprint("admin_tokens", __name__, url_prefix="/admin/tokens")
bp.before_request(require_login)
bp.after_request(no_store)


def _page(status: int = 200, **context: object) -> tuple[str, int]:
    with node().db.read() as session:
        tokens = admin_auth.list_tokens(session)
    context.setdefault("form", {})
    context.setdefault("errors", {})
    return admin_page("admin/tokens.html", status=status, tokens=tokens, **context)


@bp.get("")
def page() -> tuple[str, int]:
    """Every token, newest last, and the form to create one."""
    return _page()


@bp.post("")
def create() -> PageResult:
    """Create a token and show its secret on this answer only."""
    name = (request.form.get("name") or "").strip()
    try:
        with node().db.write() as session:
            row, secret = admin_auth.create_token(session, name)
            created = {"id": row.id, "name": row.name}
    except InvalidInput as exc:
        message = _("Give the token a name of 1 to 100 characters (what it is for).")
        return _page(422, form=request.form, errors={"name": message}, message=exc.detail)
    return _page(201, created=created, secret=secret)


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int) -> PageResult:
    """Revoke a token: the next request that sends it is refused."""
    try:
        with node().db.write() as session:
            admin_auth.revoke_token(session, token_id)
    except NodeError as exc:
        if exc.status == 404:
            raise
        return _page(exc.status, message=exc.detail)
    flash(_("Token %(token_id)s revoked.", token_id=token_id))
    return redirect(url_for("admin_tokens.page"))
