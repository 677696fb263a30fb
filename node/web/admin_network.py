"""The admin page of the federation: peers and their sync health, peering requests to approve
or reject, the origins we hold with the peer that introduced each (to mute), quarantined (forked)
origins with their proofs, and the block list.

It sits behind the same login and CSRF check as the other admin pages (their ``before_request``
guard is registered here too) and calls the same functions as ``spazi peer …``. A refused action
(a request no longer pending, a malformed node id…) shows the service's message on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from federation.keys import fingerprint, is_node_id
from node.errors import NodeError
from node.http.context import node
from node.models import Peer
from node.network import blocking, invites, joining, muting, peering
from node.network.status import peer_rows, quarantined
from node.qr import svg_inline
from node.runtime import Node
from node.web.admin_pages import PageResult, admin_page, no_store, require_login
from node.web.formatting import ago

bp = Blueprint("admin_network", __name__, url_prefix="/admin/network")
bp.before_request(require_login)
bp.after_request(no_store)

MAX_REASON = 500
PAGE_SIZE = 20  # peering requests per page: a flood must not make the page unusable


def _pending(now: Any, page: int) -> dict[str, Any]:
    """One page of the peering requests waiting for our admin (``spazi peer requests``)."""
    with node().db.read() as session:
        total = peering.count_pending(session)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(page, pages)
        rows = peering.pending_requests(session, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        return {
            "rows": [
                {
                    "id": p.id,
                    "name": p.name,
                    "url": p.url,
                    "fingerprint": fingerprint(p.id),
                    "since": ago(p.state_changed, now),
                }
                for p in rows
            ],
            "total": total,
            "page": page,
            "pages": pages,
        }


def _page_number() -> int:
    """The ``page`` query parameter; anything but a positive number is the first page."""
    text = request.args.get("page", "1")
    return int(text) if text.isdigit() and 0 < len(text) < 7 and int(text) > 0 else 1


def _blocks(now: Any) -> list[dict[str, Any]]:
    with node().db.read() as session:
        return [
            {
                "node_id": b.node_id,
                "fingerprint": fingerprint(b.node_id) if is_node_id(b.node_id) else "",
                "reason": b.reason,
                "since": ago(b.created, now),
            }
            for b in blocking.list_blocks(session)
        ]


def _origins() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The origins we hold (``muting.origin_rows``), and for each peer that introduced some,
    how many and whether they are muted with it."""
    current = node()
    with current.db.read() as session:
        rows = muting.origin_rows(session, current, ago)
        relay_mutes = {
            m["node_id"] for m in muting.muted_rows(session, current) if m["scope"] == "relayed-by"
        }
    relays: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["relayed_by"]:
            entry = relays.setdefault(row["relayed_by"], {"count": 0, "muted": False})
            entry["count"] += 1
    for relay in relay_mutes:
        relays.setdefault(relay, {"count": 0, "muted": False})["muted"] = True
    return rows, relays


# How long a new invite code lasts, as offered on the page (the CLI takes any 1 min to 90 days).
INVITE_DAYS = (1, 7, 30)


def _invites(now: Any) -> list[dict[str, Any]]:
    with node().db.read() as session:
        rows = invites.list_invites(session, now)
    return [
        {
            "id": r.id,
            "created": ago(r.created, now),
            "expires": r.expires.strftime("%Y-%m-%d %H:%M UTC"),
            "state": r.state,
            "used": ago(r.used_at, now) if r.used_at else "",
            "used_by": r.used_by,
            "used_by_name": r.used_by_name,
        }
        for r in rows
    ]


def _network_page(
    status: int = 200,
    message: str | None = None,
    form: dict[str, str] | None = None,
    new_invite: str | None = None,
) -> tuple[str, int]:
    current = node()
    now = current.now()
    forks = [{**f, "fingerprint": fingerprint(f["origin"])} for f in quarantined(current, ago)]
    origins, relays = _origins()
    return admin_page(
        "admin/network.html",
        status=status,
        message=message,
        form=form or {"node_id": "", "reason": ""},
        peers=peer_rows(current, ago),
        pending=_pending(now, _page_number()),
        forks=forks,
        origins=origins,
        relays=relays,
        blocks=_blocks(now),
        node_id=current.node_id,
        fingerprint=fingerprint(current.node_id),
        invites=_invites(now),
        invite_days=INVITE_DAYS,
        new_invite=new_invite,
        new_invite_qr=svg_inline(new_invite, "Invite code QR code") if new_invite else "",
    )


@bp.get("")
def page() -> tuple[str, int]:
    """Peers, requests, origins, quarantined origins and blocks on one page."""
    return _network_page()


def _node_id_field() -> str:
    return (request.form.get("node_id") or "").strip()


def _decide(decision: Callable[[Node, str], Peer], done: str) -> PageResult:
    """Apply an approve/reject decision to the request named in the form; ``done`` is the
    flash message, with ``{name}`` for the peer."""
    try:
        peer = decision(node(), _node_id_field())
    except NodeError as exc:
        return _network_page(exc.status, exc.detail)
    flash(done.format(name=peer.name or peer.id))
    return redirect(url_for("admin_network.page"))


@bp.post("/approve")
def approve() -> PageResult:
    """Approve a pending peering request: the peer becomes active and is told so."""
    return _decide(joining.approve, _("Approved {name}; it is now an active peer."))


@bp.post("/reject")
def reject() -> PageResult:
    """Reject a pending peering request (the other node is told)."""
    return _decide(joining.reject, _("Rejected the request of {name}."))


@bp.post("/requests/clear")
def clear_requests() -> PageResult:
    """Reject every pending peering request at once (after a flood of unsolicited ones)."""
    try:
        count = joining.reject_all(node())
    except NodeError as exc:
        return _network_page(exc.status, exc.detail)
    flash(
        _("Rejected %(count)s peering requests.", count=count)
        if count
        else _("No requests were waiting.")
    )
    return redirect(url_for("admin_network.page"))


@bp.post("/block")
def block() -> PageResult:
    """Block a node: stop syncing with it, drop what we mirrored of it, refuse its requests."""
    current = node()
    node_id = _node_id_field()
    reason = (request.form.get("reason") or "").strip()
    if len(reason) > MAX_REASON:
        return _network_page(
            422,
            f"reason: at most {MAX_REASON} characters",
            {"node_id": node_id, "reason": reason},
        )
    try:
        with current.db.write() as session:
            blocking.block(session, current, node_id, reason)
    except NodeError as exc:
        return _network_page(exc.status, exc.detail, {"node_id": node_id, "reason": reason})
    flash(_("Blocked %(node_id)s; what this node mirrored of it was dropped.", node_id=node_id))
    return redirect(url_for("admin_network.page"))


@bp.post("/unblock")
def unblock() -> PageResult:
    """Unblock a node; a later sync fetches its feed afresh."""
    current = node()
    node_id = _node_id_field()
    try:
        with current.db.write() as session:
            blocking.unblock(session, current, node_id)
    except NodeError as exc:
        return _network_page(exc.status, exc.detail)
    flash(_("Unblocked %(node_id)s.", node_id=node_id))
    return redirect(url_for("admin_network.page"))


def _mute_target() -> tuple[str, bool]:
    """(node id, whether it names a relay): the form's ``relayed_by``, else its ``node_id``."""
    relay = (request.form.get("relayed_by") or "").strip()
    return (relay, True) if relay else (_node_id_field(), False)


@bp.post("/mute")
def mute() -> PageResult:
    """Mute an origin, or every origin a peer introduced: hidden from the network pages, still
    synced and relayed (``node.network.muting``)."""
    current = node()
    node_id, relay = _mute_target()
    try:
        with current.db.write() as session:
            muting.mute(session, current, node_id, relayed_by=relay)
            shown = muting.label(session, node_id)
    except NodeError as exc:
        return _network_page(exc.status, exc.detail)
    what = f"every origin {shown} introduced" if relay else shown
    flash(_("Muted %(what)s: hidden from the network pages, still synced and relayed.", what=what))
    return redirect(url_for("admin_network.page"))


@bp.post("/unmute")
def unmute() -> PageResult:
    """Undo a mute; what it hid shows again unless hidden another way."""
    current = node()
    node_id, relay = _mute_target()
    try:
        with current.db.write() as session:
            muting.unmute(session, current, node_id, relayed_by=relay)
            shown = muting.label(session, node_id)
    except NodeError as exc:
        return _network_page(exc.status, exc.detail)
    flash(
        _("Unmuted the origins %(shown)s introduced.", shown=shown)
        if relay
        else _("Unmuted %(shown)s.", shown=shown)
    )
    return redirect(url_for("admin_network.page"))


@bp.post("/invites")
def invite() -> PageResult:
    """Make a one-time invite code and show it (text and QR code) on this answer only."""
    try:
        days = int(request.form.get("days") or "7")
        if days not in INVITE_DAYS:
            raise ValueError(days)
    except ValueError:
        return _network_page(422, "Choose how long the invite lasts: 1, 7 or 30 days.")
    try:
        code = joining.create_invite(node(), timedelta(days=days))
    except NodeError as exc:
        return _network_page(exc.status, exc.detail)
    return _network_page(201, new_invite=code)


@bp.post("/invites/<int:invite_id>/withdraw")
def withdraw_invite(invite_id: int) -> PageResult:
    """Make an unused invite expire now (a code that reached the wrong person)."""
    current = node()
    try:
        with current.db.write() as session:
            invites.withdraw_invite(session, invite_id, current.now())
    except NodeError as exc:
        if exc.status == 404:
            raise
        return _network_page(exc.status, exc.detail)
    flash(_("Invite %(invite_id)s withdrawn: its code no longer works.", invite_id=invite_id))
    return redirect(url_for("admin_network.page") + "#invites-h")
