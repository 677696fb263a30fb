"""The booking pages: a partner's member books here with their pass, sees and cancels the booking
by its secret link, and the admin and the front desk see what is booked.

The guest pages need no login: the pass is the credential to book (it reaches ``/book`` in a
POST body, from this page or from the member's page at home, never in a URL), and the booking's
secret link the credential to see and cancel it. A refusal shows the use case's reason on the
page and changes nothing (node/bookings/service.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Flask, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from node.bookings import confirmation, ics, service
from node.bookings.views import BookingView
from node.clock import local_today
from node.errors import InvalidInput, NodeError, NotFound
from node.http.context import node
from node.http.headers import keep_private
from node.messages import N_
from node.services.space import get_profile
from node.twinning import desk
from node.web.admin_pages import PageResult, admin_page, no_store, require_login
from node.web.i18n import current_language, localized
from node.web.protection import allow_desk
from node.web.rendering import absolute_url, render

guest = Blueprint("booking_pages", __name__)
admin = Blueprint("booking_admin", __name__, url_prefix="/admin")
admin.before_request(require_login)
admin.after_request(no_store)

WEEK = 7


def _page(template: str, status: int = 200, **context: Any) -> BaseResponse:
    page, code = render(template, status=status, noindex=True, **context)
    return keep_private(Response(page, status=code))


# -- the guest's pages ---------------------------------------------------------------------


@guest.get("/book")
def book_start() -> BaseResponse:
    """Present a pass: paste its text (the member's page at home sends it here itself)."""
    return _page("bookings/start.html")


def _form(token: str, message: str | None = None, status: int = 200, **chosen: Any) -> BaseResponse:
    current = node()
    try:
        with current.db.read() as session:
            offer = service.offer(session, current, token)
    except NodeError as exc:
        return _page("bookings/start.html", status=exc.status, message=exc.detail, token=token)
    return _page(
        "bookings/book.html",
        status=status,
        offer=offer,
        token=token.strip(),
        message=message,
        chosen=chosen,
    )


@guest.post("/book")
def book() -> BaseResponse:
    """With a pass only: the booking form. With a resource and a day: the booking."""
    form = request.form
    token = form.get("pass", "")
    if not form.get("resource"):
        return _form(token)
    chosen = {k: form.get(k, "") for k in ("resource", "day", "start", "end", "email")}
    current = node()
    try:
        wanted = service.parse_request(
            form.get("resource"), form.get("day"), form.get("start"), form.get("end")
        )
        with current.db.write() as session:
            row, secret = service.book(session, current, token, wanted)
            url = absolute_url("booking_pages.booking", secret=secret)
            view = service.views(session, current, [row])[0]
            mailed = confirmation.send(
                session, current, view, url, form.get("email", ""), current_language()
            )
    except NodeError as exc:
        return _form(token, message=exc.detail, status=exc.status, **chosen)
    flash(
        _("Booked. A confirmation is on its way by e-mail.")
        if mailed
        else _("Booked. Keep this page's address: it is your booking.")
    )
    return keep_private(redirect(url_for("booking_pages.booking", secret=secret), code=303))


def _booking_or_404(secret: str) -> tuple[BookingView, dict[str, Any]]:
    current = node()
    with current.db.read() as session:
        row = service.for_secret(session, secret)
        if row is None:
            raise NotFound(N_("this booking link is not valid: check the address you were given"))
        view = service.views(session, current, [row])[0]
        profile = get_profile(session, current.node_id)
    return view, profile


@guest.get("/bookings/<secret>")
def booking(secret: str, message: str | None = None, status: int = 200) -> BaseResponse:
    """The guest's booking: what, when, where; add it to a calendar; cancel it."""
    view, profile = _booking_or_404(secret)
    today = local_today(str(profile["timezone"]), node().now_ms())
    return _page(
        "bookings/booking.html",
        status=status,
        booking=view,
        profile=profile,
        secret=secret,
        message=message,
        can_cancel=not view.cancelled and today < view.day,
    )


@guest.get("/bookings/<secret>/booking.ics")
def booking_ics(secret: str) -> BaseResponse:
    """The booking as an invitation to add to a calendar."""
    view, profile = _booking_or_404(secret)
    url = absolute_url("booking_pages.booking", secret=secret)
    response = Response(ics.invitation(node().node_id, url, profile, view))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="booking.ics"'
    return keep_private(response)


@guest.post("/bookings/<secret>/cancel")
def cancel(secret: str) -> BaseResponse:
    """Cancel before the day: the guest day is given back."""
    current = node()
    try:
        with current.db.write() as session:
            row = service.for_secret(session, secret)
            if row is None:
                raise NotFound(
                    N_("this booking link is not valid: check the address you were given")
                )
            released = service.cancel(session, current, row)
    except NodeError as exc:
        if isinstance(exc, NotFound):
            raise
        return booking(secret, message=exc.detail, status=exc.status)
    flash(_("Cancelled: the guest day is yours again.") if released else _("Cancelled."))
    return keep_private(redirect(url_for("booking_pages.booking", secret=secret), code=303))


# -- admin and front desk ------------------------------------------------------------------


def _first_day(timezone: str) -> date:
    text = request.args.get("day", "").strip()
    if not text:
        return local_today(timezone, node().now_ms())
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(
            N_("day: a date as YYYY-MM-DD"), errors={"day": [N_("Not a date.")]}
        ) from exc


@admin.get("/bookings")
def bookings() -> PageResult:
    """Today's or a week's bookings, per day and resource (``?day=``, ``?week=1``)."""
    current = node()
    week = request.args.get("week") == "1"
    with current.db.read() as session:
        first = _first_day(desk.host_timezone(session, current))
        rows = service.between(session, current, first, WEEK if week else 1)
    days: dict[date, dict[str, list[BookingView]]] = {}
    for view in rows:
        days.setdefault(view.day, {}).setdefault(view.resource_name, []).append(view)
    page, code = admin_page(
        "bookings/admin.html",
        days=days,
        first=first,
        week=week,
        previous=(first - timedelta(days=WEEK if week else 1)).isoformat(),
        following=(first + timedelta(days=WEEK if week else 1)).isoformat(),
    )
    return Response(page, status=code)


@admin.post("/bookings/<int:booking_id>/cancel")
def admin_cancel(booking_id: int) -> PageResult:
    """The host cancels a booking (before its day the guest day is given back)."""
    current = node()
    try:
        with current.db.write() as session:
            row = service.get(session, booking_id)
            service.cancel(session, current, row, by="host")
    except NodeError as exc:
        flash(localized(exc.detail), "error")  # kept past the request: in its language now
    else:
        flash(
            _("Booking %(booking_id)s cancelled; the guest's space is told.", booking_id=booking_id)
        )
    return redirect(url_for("booking_admin.bookings", day=request.args.get("day") or None))


def init_app(app: Flask) -> None:
    """Register the guest's booking pages and the admin's bookings page."""
    app.register_blueprint(guest)
    app.register_blueprint(admin)
    allow_desk("booking_admin.bookings")
