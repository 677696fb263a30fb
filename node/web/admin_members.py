"""The admin pages of the space's members: list and search, add, edit, suspend, lift a
suspension, remove.

The same services as ``spazi member …`` and the members API (``node.services.members``), one
unit of work per change: suspending or removing a member revokes their guest passes in the same
transaction (the twinning feature's hook). Members are private: these pages are behind the
admin login, and a desk login never opens them (``node.web.protection``).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from node.errors import NodeError
from node.http.context import node
from node.schemas import MemberSchema
from node.services import members
from node.web.admin_pages import (
    PageResult,
    admin_page,
    no_store,
    require_login,
    submit_form,
)

bp = Blueprint("admin_members", __name__, url_prefix="/admin/members")
bp.before_request(require_login)
bp.after_request(no_store)

MAX_SEARCH = 100


def _form() -> dict[str, str]:
    """The posted member fields, trimmed (an empty plan means none)."""
    return {name: (request.form.get(name) or "").strip() for name in ("name", "email", "plan")}


def _list_page(status: int = 200, **context: object) -> tuple[str, int]:
    search = (request.args.get("q") or "").strip()[:MAX_SEARCH]
    with node().db.read() as session:
        rows = [members.member_view(m) for m in members.list_members(session, search)]
    context.setdefault("form", {})
    context.setdefault("errors", {})
    return admin_page("admin/members.html", status=status, members=rows, q=search, **context)


@bp.get("")
def page() -> tuple[str, int]:
    """Every member (or those matching ``?q=``), with the form to add one."""
    return _list_page()


@bp.post("")
def add() -> PageResult:
    """Add a member from the form on the list page."""
    with node().db.read() as session:  # shown again beside the form if it is refused
        rows = [members.member_view(m) for m in members.list_members(session)]
    return submit_form(
        "admin/members.html",
        lambda form: _form(),
        members.add_member,
        _("Member added."),
        MemberSchema,
        then="admin_members.page",
        members=rows,
        q="",
    )


@bp.route("/<int:member_id>/edit", methods=["GET", "POST"])
def edit(member_id: int) -> PageResult:
    """Change a member's name, email or plan."""
    with node().db.read() as session:
        member = members.member_view(members.get_member(session, member_id))
    if request.method == "POST":
        return submit_form(
            "admin/member_form.html",
            lambda form: _form(),
            lambda session, data: members.update_member(session, member_id, data),
            _("Member saved."),
            MemberSchema,
            then="admin_members.page",
            member=member,
        )
    form = {"name": member["name"], "email": member["email"], "plan": member["plan"]}
    return admin_page("admin/member_form.html", form=form, errors={}, member=member)


def _change(member_id: int, done: str, action: str) -> PageResult:
    current = node()
    try:
        with current.db.write() as session:
            if action == "suspend":
                members.suspend_member(session, current, member_id)
            elif action == "unsuspend":
                members.unsuspend_member(session, member_id)
            else:
                members.remove_member(session, current, member_id)
    except NodeError as exc:
        if exc.status == 404:
            raise
        return _list_page(exc.status, message=exc.detail)
    flash(done)
    return redirect(url_for("admin_members.page"))


@bp.post("/<int:member_id>/suspend")
def suspend(member_id: int) -> PageResult:
    """Suspend: the record stays, live guest passes are revoked, no new ones are issued."""
    return _change(member_id, _("Member suspended; their guest passes are revoked."), "suspend")


@bp.post("/<int:member_id>/unsuspend")
def unsuspend(member_id: int) -> PageResult:
    """Lift a suspension (revoked passes stay revoked)."""
    return _change(member_id, _("Suspension lifted."), "unsuspend")


@bp.route("/<int:member_id>/remove", methods=["GET", "POST"])
def remove(member_id: int) -> PageResult:
    """Ask, then remove a member for good (their guest passes are revoked)."""
    if request.method == "POST":
        return _change(member_id, _("Member removed; their guest passes are revoked."), "remove")
    with node().db.read() as session:
        member = members.member_view(members.get_member(session, member_id))
    return admin_page("admin/member_remove.html", member=member)
