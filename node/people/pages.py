"""The people pages: a member's profile form behind their secret link, the network's people
search, the contact form of a profile (on the profile's home node), the member's answer link,
and the admin's page to record a member's consent.

Every action calls node/people/service.py, as the CLI and the API do; a refusal shows the
service's message on the page and changes nothing.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Flask, current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from node import mail, texts
from node.errors import NodeError, NotFound
from node.http.context import node
from node.http.headers import keep_private
from node.http.marks import etagged
from node.messages import N_
from node.network.floods import TooManyRequests
from node.people import service
from node.ratelimit import TokenBuckets, address_key
from node.services.members import get_member
from node.twinning.member_links import member_for_link
from node.web.admin_pages import no_store, require_login
from node.web.protection import csrf
from node.web.rendering import absolute_url, render

member = Blueprint("people_member", __name__, url_prefix="/m")
public = Blueprint("people_pages", __name__)
admin = Blueprint("people_admin", __name__, url_prefix="/admin")
admin.before_request(require_login)
admin.after_request(no_store)

# Messages a sender's address may send per hour, and a profile may receive per day: enough for
# people, too few for a spammer (in memory, per process: node/ratelimit.py).
PER_SENDER_HOUR = 5
PER_PROFILE_DAY = 20
_SENDERS: dict[str, TokenBuckets] = {}
_PROFILES: dict[str, TokenBuckets] = {}


def _form(fields: Any) -> dict[str, Any]:
    return {
        "name": fields.get("name", ""),
        "bio": fields.get("bio", ""),
        "skills": ", ".join(fields["skills"]) if isinstance(fields.get("skills"), list) else "",
        "offers": fields.get("offers", ""),
        "seeks": fields.get("seeks", ""),
        "languages": ", ".join(fields.get("languages", [])),
        "links": "\n".join(f"{x['title']} | {x['url']}" for x in fields.get("links", [])),
    }


def _typed() -> dict[str, Any]:
    """What the profile form sent, as the service reads it."""
    return {
        name: request.form.get(name, "")
        for name in ("name", "bio", "skills", "offers", "seeks", "languages", "links")
    }


# -- the member's page ------------------------------------------------------------------------


def _member(secret: str) -> Any:
    with node().db.read() as session:
        found = member_for_link(session, secret)
    if found is None:
        raise NotFound(N_("this link is not valid (any more): ask your space for a new one"))
    return found


@member.route("/<secret>/profile", methods=["GET", "POST"])
def member_profile(secret: str) -> BaseResponse:
    """The member's network profile: publish or edit it (with consent), or withdraw it."""
    current = node()
    found = _member(secret)
    message, status, typed = None, 200, None
    if request.method == "POST":
        action = request.form.get("action")
        try:
            with current.db.write() as session:
                if action == "withdraw":
                    service.withdraw_profile(session, current, found.id)
                    message = _("Your profile is withdrawn: every space's copy of it is erased.")
                else:
                    service.publish_profile(
                        session,
                        current,
                        found.id,
                        _typed(),
                        consent=request.form.get("consent") == "yes",
                        consent_by="member",
                    )
                    message = _("Your profile is published on the network.")
        except NodeError as exc:
            message, status, typed = exc.detail, exc.status, _typed()
    with current.db.read() as session:
        profile = service.own_profile(session, current, found.id)
        suggestions = service.skill_suggestions(session)
    body, code = render(
        "people/member_profile.html",
        status,
        member=found,
        profile=profile,
        form=typed if typed is not None else _form(profile or {}),
        message=message,
        suggestions=suggestions,
        action=url_for("people_member.member_profile", secret=secret),
        back=url_for("member_pages.member_page", secret=secret),
    )
    response = current_app.make_response((body, code))
    return keep_private(response)


# -- the network's people -----------------------------------------------------------------------


@public.get("/network/people")
@etagged
def people() -> tuple[str, int]:
    """Member profiles across the network, by skill and city."""
    current = node()
    skill = request.args.get("skill", "")[:60]
    city = request.args.get("city", "")[:100]
    raw_page = request.args.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) < 6 else 1
    with current.db.read() as session:
        live = service.live_profiles(session)  # parsed once for both
        found, total = service.search(session, current, skill, city, max(page, 1), live)
        suggestions = service.skill_suggestions(session, live=live)
    pages = max(1, math.ceil(total / service.PAGE_SIZE))
    return render(
        "people/search.html",
        people=found,
        total=total,
        skill=skill,
        city=city,
        page=page,
        next_url=url_for("people_pages.people", skill=skill or None, city=city or None,
                         page=page + 1) if page < pages else None,
        prev_url=url_for("people_pages.people", skill=skill or None, city=city or None,
                         page=page - 1) if page > 1 else None,
        suggestions=suggestions,
    )  # fmt: skip


# -- getting in touch -------------------------------------------------------------------------


def _rate_limited(profile_id: str) -> None:
    current = node()
    now = current.monotonic()
    senders = _SENDERS.setdefault(current.node_id, TokenBuckets())
    profiles = _PROFILES.setdefault(current.node_id, TokenBuckets())
    remote = address_key(request.remote_addr or "")
    if not senders.take(remote, PER_SENDER_HOUR, PER_SENDER_HOUR / 3600, now):
        raise TooManyRequests(
            N_(
                "at most %(per_sender_hour)s messages an hour from one address; try again later",
                per_sender_hour=PER_SENDER_HOUR,
            ),
            retry_after=3600 // PER_SENDER_HOUR,
        )
    if not profiles.take(profile_id, PER_PROFILE_DAY, PER_PROFILE_DAY / 86400, now):
        raise TooManyRequests(
            N_("this member has received many messages today; try again tomorrow"),
            retry_after=86400 // PER_PROFILE_DAY,
        )


@public.route("/people/<profile_id>/contact", methods=["GET", "POST"])
def contact(profile_id: str) -> tuple[str, int]:
    """Write to one of our members through their profile; the node mails them the message."""
    current = node()
    with current.db.read() as session:
        found = service.recipient(session, current, profile_id)
    sent, message, status = False, None, 200
    sender, text = "", ""
    if request.method == "POST":
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        sender = request.form.get("email", "")[:300]
        text = request.form.get("message", "")[:5000]
        try:
            if not mail.configured(current):
                raise NodeError(
                    N_("this space cannot send mail at the moment; try again later"),
                    reason="mail-unavailable",
                )
            service.check_message(sender, text)  # a refused message takes no token
            _rate_limited(profile_id)
            with current.db.write() as session:
                to, row, secret = service.send_message(session, current, profile_id, sender, text)
                answer = absolute_url("people_pages.answer", secret=secret)
                # In the space's language: the member reads it, not the sender.
                with force_locale(str(current.settings.get("language") or "en")):
                    subject = _("A message through your network profile")
                    text_of_mail = _mail_text(to.name, row.text, answer)
                mail.send_after_commit(session, current, [to.member.email], subject, text_of_mail)
            sent = True
        except NodeError as exc:
            message, status = exc.detail, exc.status
    return render(
        "people/contact.html",
        status,
        person=found,
        sent=sent,
        message=message,
        sender=sender if not sent else "",
        text=text if not sent else "",
        mail_ready=mail.configured(current),
    )


def _mail_text(name: str, text: str, answer: str) -> str:
    return (
        "\n\n".join(
            (
                _("Hello %(name)s,", name=name),
                _("someone found your profile on the Spazi network and wrote to you:"),
                texts.quoted(text),
                _(
                    "Their address is not in this mail. To answer, open this link; it shows you "
                    "their address only when you choose to answer:"
                )
                + "\n"
                + answer,
                _(
                    "If you do not want to answer, ignore this mail: they will not learn "
                    "your address."
                ),
            )
        )
        + "\n"
    )


@public.route("/people/answer/<secret>", methods=["GET", "POST"])
def answer(secret: str) -> BaseResponse:
    """The member's answer link: the message, and the sender's address once they choose."""
    current = node()
    if request.method == "POST":
        with current.db.write() as session:
            row = service.reveal_sender(session, current, secret)
    else:
        with current.db.read() as session:
            row = service.message_for_answer(session, secret)
    body, code = render(
        "people/answer.html",
        message=row,
        revealed=row.revealed is not None,
        action=url_for("people_pages.answer", secret=secret),
    )
    return keep_private(current_app.make_response((body, code)))


# -- the admin's page -------------------------------------------------------------------------


@admin.route("/members/<int:member_id>/profile", methods=["GET", "POST"])
def admin_profile(member_id: int) -> tuple[str, int]:
    """Record the member's consent with its date and publish, or withdraw, their profile."""
    current = node()
    message, status, typed = None, 200, None
    if request.method == "POST":
        try:
            with current.db.write() as session:
                if request.form.get("action") == "withdraw":
                    service.withdraw_profile(session, current, member_id)
                    message = _("The profile is withdrawn; every space's copy of it is erased.")
                else:
                    service.publish_profile(
                        session,
                        current,
                        member_id,
                        _typed(),
                        consent=request.form.get("consent") == "yes",
                        consent_by="admin",
                        consent_date=request.form.get("consent_date") or None,
                    )
                    message = _("The profile is published.")
        except NodeError as exc:
            message, status, typed = exc.detail, exc.status, _typed()
    with current.db.read() as session:
        who = get_member(session, member_id)
        profile = service.own_profile(session, current, member_id)
    return render(
        "people/admin_profile.html",
        status,
        member=who,
        profile=profile,
        form=typed if typed is not None else _form(profile or {}),
        message=message,
    )


def init_app(app: Flask) -> None:
    """Register the blueprints on ``app`` (a part of a feature record, ``node.features``)."""
    app.register_blueprint(member)
    app.register_blueprint(public)
    app.register_blueprint(admin)
