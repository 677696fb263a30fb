"""The twinning pages: the admin's partners page, the front desk, the member's pass page, and
the partner spaces shown on the public space page.

Every action calls the use cases the CLI and the API call (node/twinning/); a refusal shows the
use case's message on the page and changes nothing. The admin pages sit behind the admin login
and CSRF check (node/web/admin_pages.py); a ``desk`` user may open the desk page only. The
member page needs no login: its secret link is the credential (node/twinning/member_links.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from federation.agreements import grant_for
from federation.vocabulary import RESOURCE_KINDS
from node import published
from node.bookings import notices as booking_notices
from node.bookings import service as booking_service
from node.clock import local_today, zone
from node.errors import InvalidInput, NodeError, NotFound
from node.http.context import node
from node.http.headers import SCRIPT_PAGE_POLICY, WORKER_POLICY, keep_private, script_page_policy
from node.messages import N_
from node.models import Member
from node.qr import svg_inline
from node.services.known_spaces import known_spaces
from node.services.network import node_urls
from node.services.space import get_profile
from node.twinning import agreements, charts, desk, passes, photos, reports
from node.twinning.member_links import member_for_link, partner_summaries
from node.twinning.models import GuestPass
from node.web.admin_pages import (
    PageResult,
    admin_page,
    allow_larger_body,
    no_store,
    require_login,
)
from node.web.formatting import kind_label as resource_kind_label
from node.web.i18n import current_language
from node.web.protection import allow_desk
from node.web.rendering import render

admin = Blueprint("twinning_admin", __name__, url_prefix="/admin")

_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


@admin.before_request
def _photo_size() -> None:
    """A phone photo is larger than the node's usual request limit: the desk form may carry
    one up to the photo limit (read before the CSRF check parses the form), for a login that
    may use the desk."""
    if request.endpoint == "twinning_admin.desk_check":
        allow_larger_body(photos.MAX_PHOTO_BYTES + 64 * 1024, roles=("admin", "desk"))


admin.before_request(require_login)
admin.after_request(no_store)

member = Blueprint("member_pages", __name__, url_prefix="/m")


# -- partners (admin) --------------------------------------------------------------------------


REPORT_MONTHS = 6  # months the chart shows, the chosen one last


def _months_back(month: str, count: int) -> list[str]:
    year, number = int(month[:4]), int(month[5:7])
    found = []
    for _step in range(count):
        found.append(f"{year:04d}-{number:02d}")
        year, number = (year - 1, 12) if number == 1 else (year, number - 1)
    return list(reversed(found))


@admin.get("/reports")
def visit_reports() -> PageResult:
    """Guests hosted and members abroad in a month, with a chart of the last months."""
    current = node()
    with current.db.read() as session:
        default = reports.month_of(agreements.today(session, current))
        try:
            month = reports.check_month(request.args.get("month") or default)
        except InvalidInput as exc:
            return admin_page("twinning/reports.html", status=422, message=exc.detail,
                              report=None, month=default, chart=None)  # fmt: skip
        report = reports.visit_report(session, month)
        history = [reports.visit_report(session, m) for m in _months_back(month, REPORT_MONTHS)]
    chart = charts.bar_chart([(r.month, r.totals("hosted"), r.totals("abroad")) for r in history])
    return admin_page("twinning/reports.html", report=report, month=month, chart=chart)


@admin.get("/reports.csv")
def visit_reports_csv() -> BaseResponse:
    """The month's report as CSV (a download)."""
    current = node()
    month = reports.check_month(request.args.get("month", ""))
    with current.db.read() as session:
        report = reports.visit_report(session, month)
    response = Response(reports.as_csv(report), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="visits-{month}.csv"'
    return response


@admin.get("/partners")
def partners(message: str | None = None, status: int = 200) -> PageResult:
    """Propose, answer and end agreements; this month's usage of each active one."""
    current = node()
    with current.db.read() as session:
        views = agreements.list_views(session, current)
        spaces = known_spaces(session, current)
        today = agreements.today(session, current)
        usage = {
            v.id: agreements.month_usage(session, current, v.id, today)
            for v in views
            if v.state == "active"
        }
        balances = {
            v.id: reports.reciprocity(session, v.id, v.partner_id, reports.month_of(today))
            for v in views
            if v.state == "active"
        }
    return admin_page(
        "twinning/partners.html",
        status=status,
        message=message,
        awaiting=[v for v in views if v.state == "awaiting"],
        proposed=[v for v in views if v.state == "proposed"],
        active=[v for v in views if v.state == "active"],
        ended=[v for v in views if v.state in ("rejected", "terminated", "expired")],
        usage=usage,
        balances=balances,
        spaces=spaces,
        kinds=[(k, resource_kind_label(k)) for k in RESOURCE_KINDS],
        today=today.isoformat(),
        form=request.form,
    )


def _do(action: Any, done: str) -> PageResult:
    current = node()
    try:
        with current.db.write() as session:
            action(session, current)
    except NodeError as exc:
        return partners(message=exc.detail, status=exc.status if exc.status < 500 else 400)
    flash(done)
    return redirect(url_for("twinning_admin.partners"))


def _int(name: str) -> int:
    text = request.form.get(name, "").strip()
    if not text.isdigit() or len(text) > 6:
        raise InvalidInput(N_("%(value)s: a whole number of days", value=name.replace("_", " ")))
    return int(text)


@admin.post("/partners/propose")
def propose() -> PageResult:
    """The propose form: symmetric terms unless the other side's are filled in."""

    def action(session: Any, current: Any) -> None:
        ours = agreements.Terms(
            _int("per_member"),
            _int("total"),
            agreements.parse_kinds(request.form.getlist("kinds")),
        )
        theirs = ours
        if request.form.get("asymmetric"):
            theirs = agreements.Terms(
                _int("their_per_member"),
                _int("their_total"),
                agreements.parse_kinds(request.form.getlist("their_kinds")),
            )
        agreements.propose(
            session,
            current,
            request.form.get("partner", ""),
            ours,
            theirs,
            request.form.get("valid_from", ""),
            request.form.get("valid_until", ""),
        )

    return _do(
        action, _("Proposal sent: it reaches the partner's inbox, retried while it is down.")
    )


@admin.post("/partners/<agreement_id>/accept")
def accept(agreement_id: str) -> PageResult:
    return _do(
        lambda s, c: agreements.accept(s, c, agreement_id),
        _("Accepted: the agreement is published and the partner is told."),
    )


@admin.post("/partners/<agreement_id>/reject")
def reject(agreement_id: str) -> PageResult:
    return _do(
        lambda s, c: agreements.reject(s, c, agreement_id, request.form.get("reason")),
        _("Rejected: the partner is told."),
    )


@admin.post("/partners/<agreement_id>/terminate")
def terminate(agreement_id: str) -> PageResult:
    return _do(
        lambda s, c: agreements.terminate(
            s, c, agreement_id, request.form.get("effective") or None, request.form.get("reason")
        ),
        _("Termination recorded."),
    )


# -- front desk (admin or desk user) -----------------------------------------------------------


def _desk_page(result: desk.CheckinResult | None = None, status: int = 200) -> PageResult:
    current = node()
    with current.db.read() as session:
        today = desk.todays_checkins(session, current)
        booked = booking_service.today(session, current)
        kinds = sorted({r.kind for r in published.resources(session, current.node_id)})
    page, code = admin_page(
        "twinning/desk.html",
        status=status,
        result=result,
        visits=today,
        bookings=booked,
        kinds=[(k, resource_kind_label(k)) for k in kinds],
        desk_only=getattr(g, "admin_role", "admin") == "desk",
    )
    response = Response(page, status=code)
    # The camera scanner is a script of our own (no inline script, nothing from elsewhere).
    response.headers["Content-Security-Policy"] = SCRIPT_PAGE_POLICY
    return response


@admin.get("/desk")
def desk_page() -> PageResult:
    """The front desk: scan, type or photograph a pass; today's guests."""
    return _desk_page()


@admin.post("/desk")
def desk_check() -> PageResult:
    """Check a pass sent by the scanner, the keyboard-wedge input or a photo."""
    current = node()
    resource = request.form.get("resource") or None
    token = request.form.get("token", "")
    upload = request.files.get("photo")
    if upload is not None and upload.filename:
        try:
            token = photos.decode_qr(upload.stream)
        except photos.PhotoError as exc:
            return _desk_page(desk.CheckinResult(False, exc.reason, exc.detail), status=exc.status)
    with current.db.write() as session:
        result = desk.check_in(session, current, token, resource)
    return _desk_page(result)


# -- the member's page ------------------------------------------------------------------------


def _member_or_404(secret: str) -> Any:
    with node().db.read() as session:
        found = member_for_link(session, secret)
    if found is None:
        raise NotFound(N_("this link is not valid (any more): ask your space for a new one"))
    return found


def _local(seconds: int, timezone: str) -> str:
    """A pass's end as the member's space tells the time."""
    moment = datetime.fromtimestamp(seconds, UTC).astimezone(zone(timezone))
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or "")


def _private(
    response: BaseResponse, script: bool = False, form_targets: Sequence[str] = ()
) -> BaseResponse:
    # The URL is the credential. "no-cache", not "no-store": the member page is kept by its
    # service worker for use offline at the partner's door.
    keep_private(response, "private, no-cache")
    if script:
        response.headers["Content-Security-Policy"] = script_page_policy(form_targets)
    return response


@member.get("/<secret>")
def member_page(secret: str, message: str | None = None, status: int = 200) -> BaseResponse:
    """The member's passes (as QR codes) and the partner spaces they may visit."""
    current = node()
    found = _member_or_404(secret)
    with current.db.read() as session:
        summaries = partner_summaries(session, current, found)
        live = passes.live_passes(session, current, found.id)
        names = published.space_names(session, {p.partner_id for p in live})
        home = get_profile(session, current.node_id)
        booking_pages = {
            partner: _booking_page(url)
            for partner, url in node_urls(session, current, {p.partner_id for p in live}).items()
        }
        today = local_today(home["timezone"], current.now_ms())
        held = booking_notices.held(session, found.id, today - timedelta(days=1))
        held_names = published.space_names(session, {b.host_id for b in held})
    cards = [
        {
            "jti": p.jti,
            "partner": names.get(p.partner_id, p.partner_id),
            "day": p.day,
            "nbf": p.nbf,
            "exp": p.exp,
            "until": _local(p.exp, home["timezone"]),
            "qr": svg_inline(p.token),
            "token": p.token,
            "book_url": booking_pages.get(p.partner_id),
        }
        for p in live
    ]
    bookings = [{"host": held_names.get(b.host_id, b.host_id), "booking": b} for b in held]
    page, code = render(
        "twinning/member.html",
        status=status,
        member=found,
        home=home,
        partners=summaries,
        passes=cards,
        bookings=bookings,
        secret=secret,
        message=message,
        noindex=True,
        manifest=url_for("member_pages.manifest", secret=secret),
    )
    targets = sorted({_origin(url) for url in booking_pages.values() if url})
    return _private(Response(page, status=code), script=True, form_targets=targets)


def _booking_page(url: str | None) -> str | None:
    """A partner's booking page (``/book``) from its address, if that is a plain web address."""
    if not url or not _origin(url):
        return None
    return url.rstrip("/") + "/book"


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of an http(s) address, fit for a CSP source list; else ""."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not _HOST.fullmatch(parts.netloc or ""):
        return ""
    return f"{parts.scheme}://{parts.netloc}"


@member.get("/pass/<jti>")
def pass_page(jti: str) -> BaseResponse:
    """One pass on its own page (the link ``spazi pass issue`` prints): its id is as secret as
    the pass itself, which it shows."""
    current = node()
    with current.db.read() as session:
        row = session.get(GuestPass, jti) if len(jti) <= 64 else None
        if row is None:
            raise NotFound(N_("no such pass: ask your space for a new one"))
        home = get_profile(session, current.node_id)
        partner = published.space_names(session, [row.partner_id]).get(row.partner_id, "")
        holder = session.get(Member, row.member_id)
    page, code = render(
        "twinning/pass.html",
        home=home,
        holder=holder.name if holder else "",
        partner=partner or row.partner_id,
        day=row.day,
        until=_local(row.exp, home["timezone"]),
        expired=row.exp <= int(current.clock()),
        revoked=row.revoked,
        qr=svg_inline(row.token),
        token=row.token,
        noindex=True,
    )
    return _private(Response(page, status=code), script=True)


@member.post("/<secret>/pass")
def member_get_pass(secret: str) -> BaseResponse:
    """ "Get a pass for <space> on <day>" from the member's page."""
    current = node()
    found = _member_or_404(secret)
    try:
        with current.db.write() as session:
            passes.issue_pass(
                session,
                current,
                found.id,
                request.form.get("partner", ""),
                request.form.get("day") or None,
            )
    except NodeError as exc:
        return member_page(secret, message=exc.detail, status=exc.status)
    return _private(redirect(url_for("member_pages.member_page", secret=secret) + "#passes"))


@member.get("/<secret>/manifest.webmanifest")
def manifest(secret: str) -> BaseResponse:
    """The web app manifest: the member page installs as an app that opens on their passes."""
    found = _member_or_404(secret)
    with node().db.read() as session:
        home = get_profile(session, node().node_id)
    start = url_for("member_pages.member_page", secret=secret)
    doc = {
        "name": _("%(space)s: guest passes", space=home["name"]),
        "short_name": _("Guest passes"),
        "lang": current_language(),
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d4e89",
        "icons": [
            {
                "src": url_for("static", filename="pass-icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            }
        ],
        "description": _("Guest passes of %(name)s", name=found.name),
    }
    response = Response(json.dumps(doc), mimetype="application/manifest+json")
    return _private(response)


@member.get("/sw.js")
def service_worker() -> Response:
    """The member page's service worker (served under /m/ so its scope covers the pages)."""
    script = resources.files("node").joinpath("static/member-sw.js").read_text(encoding="utf-8")
    response = Response(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    # The worker's fetches are governed by its own response's policy: this node only.
    response.headers["Content-Security-Policy"] = WORKER_POLICY
    return response


# -- public: partner spaces on the space page ----------------------------------------------


def partner_listing() -> list[dict[str, Any]]:
    """What members of each partner space get here, for the public space page."""
    current = node()
    with current.db.read() as session:
        today = local_today(get_profile(session, current.node_id)["timezone"], current.now_ms())
        found = []
        for _id, standing in sorted(published.agreements(session, current.node_id).items()):
            doc = standing.document
            if not standing.in_force or not (
                doc["valid_from"] <= today.isoformat() < doc["valid_until"]
            ):
                continue
            partner = next(p for p in doc["parties"] if p != current.node_id)
            grant = grant_for(doc, current.node_id, partner)
            if grant is None:
                continue
            found.append((partner, grant))
        names = published.space_names(session, [p for p, _ in found])
    return sorted(
        (
            {
                "node_id": partner,
                "name": names.get(partner, ""),
                "days": grant["days_per_member_month"],
                "kinds": [resource_kind_label(k) for k in grant["resource_kinds"]],
            }
            for partner, grant in found
            if names.get(partner)
        ),
        key=lambda p: str(p["name"]).casefold(),
    )


def network_twins() -> list[dict[str, str]]:
    """Who twins with whom across the network: every published agreement in force, by name."""
    current = node()
    with current.db.read() as session:
        standings = published.agreements(session)
        hidden = published.hidden_origins(session)
        pairs = [
            tuple(s.document["parties"])
            for s in standings.values()
            if s.in_force and not hidden & set(s.document["parties"])
        ]
        names = published.space_names(session, {p for pair in pairs for p in pair})
    shown = {
        tuple(sorted((names[a], names[b]), key=str.casefold))
        for a, b in pairs
        if a in names and b in names
    }
    return [{"first": a, "second": b} for a, b in sorted(shown)]


def init_app(app: Flask) -> None:
    """Register the twinning pages and the partner listing for the space page's template."""
    app.register_blueprint(admin)
    app.register_blueprint(member)
    allow_desk("twinning_admin.desk_page", "twinning_admin.desk_check")

    @app.context_processor
    def _partners() -> dict[str, Any]:
        return {"twinning_partners": partner_listing, "network_twins": network_twins}
