"""Joint events from the co-host's side: the requests, and confirming, declining, withdrawing.

Another space's event that names this node in ``cohosts`` is a *request* until our admin
answers it (ARCHITECTURE.md §Joint events). Confirming publishes ``cohost.confirm`` in our feed,
and from then on the event is listed as ours too (``node.published.hosted_by``); withdrawing
publishes ``cohost.withdraw``. Declining a request we never confirmed publishes nothing: a
private ``cohost_requests`` row keeps it off the list of pending requests. The CLI, the admin
page and the API call these functions with the caller's session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.entries import Entry
from node import mail, published, texts
from node.clock import aware
from node.errors import Conflict, InvalidInput, NotFound
from node.messages import N_
from node.models import CohostRequest, Event
from node.runtime import Node
from node.services import known_spaces
from node.services.network import event_page, node_urls
from node.services.publishing import publish
from node.services.validation import text_problem

# What our word on a request is: no answer yet, confirmed, declined here, or withdrawn.
PENDING, CONFIRMED, DECLINED, WITHDRAWN = "pending", "confirmed", "declined", "withdrawn"
STATES = (PENDING, CONFIRMED, DECLINED, WITHDRAWN)
MAX_REASON = 500


@dataclass(frozen=True)
class Invitation:
    """Another space's event that names us as a co-host (or did, when we answered it)."""

    origin: str
    event_id: str
    title: str
    start: str
    end: str
    timezone: str
    space: str  # the author's space name, or "" when we hold no profile of it
    page_url: str  # the event's page on its author's node, or "" when its address is unknown
    state: str  # one of STATES
    named: bool  # whether the event (still) names us in ``cohosts``
    cancelled: bool
    ended: bool
    reason: str | None  # our withdrawal's reason

    def view(self) -> dict[str, Any]:
        """The JSON shape of the API and ``--json``."""
        return {
            "origin": self.origin,
            "event": self.event_id,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "timezone": self.timezone,
            "space": self.space,
            "page_url": self.page_url,
            "state": self.state,
            "named": self.named,
            "cancelled": self.cancelled,
            "ended": self.ended,
            "reason": self.reason,
        }


def _state(word: Any, request: CohostRequest | None) -> str:
    """Our feed's word first (confirmed, withdrawn), then our private decline."""
    if word is not None:
        return WITHDRAWN if word.withdrawn else CONFIRMED
    if request is not None and request.declined is not None:
        return DECLINED
    return PENDING


def invitations(
    session: Session, node: Node, state: str | None = None, include_ended: bool = False
) -> list[Invitation]:
    """Events of other spaces that name us, and those we confirmed or withdrew from, soonest
    first; only ``state`` when given. Ended events only with ``include_ended``.

    A request is *pending* while the event names us, is not cancelled, and we have neither
    answered it in our feed nor declined it here.
    """
    now = node.now()
    rows = {(e.origin, e.id): e for e in published.events_naming(session, node.node_id)}
    words = {(w.event_origin, w.event_id): w for w in published.cohostings(session, node.node_id)}
    missing = set(words) - set(rows)
    rows.update(published.events_by_key(session, missing))
    requests = {(r.origin, r.event_id): r for r in session.scalars(select(CohostRequest))}
    names = published.space_names(session, {origin for origin, _ in rows})
    urls = node_urls(session, node, {origin for origin, _ in rows})
    found = []
    for key, row in rows.items():
        if row.origin == node.node_id:
            continue
        word = words.get(key)
        named = node.node_id in row.body.get("cohosts", [])
        status = _state(word, requests.get(key))
        ended = aware(row.end_utc) <= now
        if status == PENDING and (not named or row.cancelled):
            continue  # the author dropped us or cancelled before we answered: nothing to do
        if (ended and not include_ended) or (state is not None and status != state):
            continue
        found.append(
            Invitation(
                origin=row.origin,
                event_id=row.id,
                title=row.body["title"],
                start=row.body["start"],
                end=row.body["end"],
                timezone=row.body["timezone"],
                space=names.get(row.origin, ""),
                page_url=event_page(urls.get(row.origin, ""), row.id),
                state=status,
                named=named,
                cancelled=row.cancelled,
                ended=ended,
                reason=word.reason if word is not None and word.withdrawn else None,
            )
        )
    found.sort(key=lambda i: (aware(rows[(i.origin, i.event_id)].start_utc), i.origin, i.event_id))
    return found


def resolve_author(session: Session, node: Node, text: str) -> str:
    """The node id of the space ``text`` names (node id, URL or name), as an event's author."""
    wanted = text.strip()
    if wanted.startswith("did:"):
        return wanted
    return known_spaces.resolve_space(session, node, wanted, "author").node_id


def _event(session: Session, node: Node, origin_text: str, event_id: str) -> Event:
    """The other space's event that names us, or the error that says why not."""
    origin = resolve_author(session, node, origin_text)
    if origin == node.node_id:
        raise InvalidInput(
            N_("that is an event of this space: a space does not co-host its own events"),
            reason="own-event",
        )
    row = published.event(session, origin, event_id)
    if row is None:
        raise NotFound(
            N_(
                "no event %(event_id)r of %(origin)s is known here (`spazi event cohost-requests` "
                "lists the requests)",
                event_id=event_id,
                origin=origin,
            ),
            reason="unknown-event",
        )
    return row


def _names_us(node: Node, row: Event) -> None:
    if node.node_id not in row.body.get("cohosts", []):
        raise InvalidInput(
            N_(
                "event %(id)r of %(origin)s does not name this space as a co-host",
                id=row.id,
                origin=row.origin,
            ),
            reason="not-a-cohost",
        )


def _reason(reason: str | None) -> str | None:
    if reason is None or reason == "":
        return None
    problem = text_problem(reason, lines=True)
    if problem is None and len(reason) > MAX_REASON:
        problem = N_("at most %(count)s characters", count=MAX_REASON)
    if problem is not None:
        raise InvalidInput(
            N_("reason: %(problem)s", problem=problem),
            reason="bad-reason",
            errors={"reason": [problem]},
        )
    return reason


def confirm(session: Session, node: Node, origin_text: str, event_id: str) -> Event:
    """Publish ``cohost.confirm`` for the event, which must name us and not be cancelled (a
    declined or withdrawn request may be confirmed later)."""
    row = _event(session, node, origin_text, event_id)
    _names_us(node, row)
    word = published.cohosting(session, node.node_id, row.origin, row.id)
    if word is not None and not word.withdrawn:
        raise Conflict(
            N_("event %(id)r is already confirmed", id=row.id), reason="already-confirmed"
        )
    if row.cancelled:
        raise Conflict(N_("event %(id)r is cancelled", id=row.id), reason="event-cancelled")
    publish(session, node, "cohost.confirm", {"origin": row.origin, "event": row.id})
    request = session.get(CohostRequest, (row.origin, row.id))
    if request is not None:
        request.declined = None
    return row


def withdraw(
    session: Session, node: Node, origin_text: str, event_id: str, reason: str | None = None
) -> Event:
    """Publish ``cohost.withdraw`` for an event we confirmed: it stops being ours at once."""
    why = _reason(reason)
    row = _event(session, node, origin_text, event_id)
    word = published.cohosting(session, node.node_id, row.origin, row.id)
    if word is None or word.withdrawn:
        raise Conflict(
            N_("event %(id)r is not confirmed by this space: nothing to withdraw", id=row.id),
            reason="not-confirmed",
        )
    body = {"origin": row.origin, "event": row.id, **({"reason": why} if why else {})}
    publish(session, node, "cohost.withdraw", body)
    return row


def decline(
    session: Session, node: Node, origin_text: str, event_id: str, reason: str | None = None
) -> str:
    """Decline a request: kept here only, so it stops showing as pending. If we had confirmed
    it, this withdraws in our feed (with ``reason``). Returns the state it leaves."""
    why = _reason(reason)
    row = _event(session, node, origin_text, event_id)
    word = published.cohosting(session, node.node_id, row.origin, row.id)
    confirmed = word is not None and not word.withdrawn
    if not confirmed:
        _names_us(node, row)
    request = session.get(CohostRequest, (row.origin, row.id))
    if not confirmed and request is not None and request.declined is not None:
        raise Conflict(N_("event %(id)r is already declined", id=row.id), reason="already-declined")
    if confirmed:
        body = {"origin": row.origin, "event": row.id, **({"reason": why} if why else {})}
        publish(session, node, "cohost.withdraw", body)
    if request is None:
        request = CohostRequest(origin=row.origin, event_id=row.id, seen=node.now())
        session.add(request)
    request.declined = node.now()
    return WITHDRAWN if confirmed else DECLINED


def note_requests(session: Session, node: Node, entries: list[Entry]) -> int:
    """Record the requests that ``entries`` (a synced page, already stored) make of us, and
    mail the admins once per event about each new one. Returns how many were new."""
    new = []
    for entry in entries:
        if entry.type != "event.put" or entry.origin == node.node_id:
            continue
        if node.node_id not in entry.body.get("cohosts", []):
            continue
        key = (entry.origin, entry.body["id"])
        if session.get(CohostRequest, key) is not None:
            continue  # seen before: told once
        session.add(CohostRequest(origin=key[0], event_id=key[1], seen=node.now()))
        session.flush()
        if published.cohosting(session, node.node_id, *key) is None:
            new.append(entry)
    if new and mail.configured(node):
        _tell_admins(session, node, new)
    return len(new)


def _tell_admins(session: Session, node: Node, entries: list[Entry]) -> None:
    names = published.space_names(session, {e.origin for e in entries})
    _ = texts.for_recipient(node.settings)
    for entry in entries:
        space = names.get(entry.origin) or entry.origin
        title, start = entry.body["title"], entry.body["start"]
        body = (
            _(
                "%(space)s names this space as a co-host of its event “%(title)s” "
                "(%(start)s, %(zone)s).",
                space=space,
                title=title,
                start=start.replace("T", " "),
                zone=entry.body["timezone"],
            )
            + "\n\n"
            + _("It shows on this space's pages and calendar only once you confirm it:")
            + f"\n{node.url}/admin/cohosts\n\n"
            + _("or:")
            + f" spazi event cohost-confirm {entry.origin} {entry.body['id']}\n"
        )
        subject = _("%(space)s asks you to co-host “%(title)s”", space=space, title=title)
        mail.send_after_commit(session, node, mail.admin_addresses(session), subject, body)
