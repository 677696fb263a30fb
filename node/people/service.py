"""The people feature's use cases: a member's network profile (publish, edit, withdraw, with
consent), search across the network, and messages to a member through their home node.

Every surface (the member's page, the admin pages, the CLI, the JSON API) calls these. A profile
is published as a ``profile.put`` entry whose detached body holds the text (protocol.md
§profile.put); the member's e-mail address is never part of it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from federation.bodies import PROFILE_MAX_BIO, PROFILE_MAX_SKILLS
from federation.canonical import parse_strict
from federation.detached import detached_hash, encode_detached, new_salt
from federation.errors import BodyError
from federation.schema import URL
from node import published
from node.db import fits_key
from node.errors import Conflict, InvalidInput, NodeError, NotFound
from node.formats import parse_date, parse_items, parse_link
from node.messages import N_
from node.models import DetachedBody, Member, Space
from node.people.models import ContactMessage, MemberProfile, NetworkPerson
from node.runtime import Node
from node.secret_links import find_by_secret, new_secret
from node.services.members import get_member
from node.services.network import node_urls
from node.services.publishing import publish
from node.services.validation import text_problem

MAX_NAME = 100
MAX_MESSAGE = 2000
PAGE_SIZE = 20
_MARKUP = re.compile(r"[<>]")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,60}")


class ProfileWithdrawn(NodeError):
    """A message to a profile that was withdrawn: 410, nothing stored or sent."""

    status = 410
    reason = "profile-withdrawn"
    title = "Profile withdrawn"


# -- input ------------------------------------------------------------------------------------


def _text(data: Mapping[str, Any], name: str, limit: int, *, lines: bool = True) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(N_("%(name)s must be text", name=name), reason=f"bad-{name}")
    value = value.replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise InvalidInput(
            N_(
                "%(name)s is %(count)s characters; at most %(limit)s are allowed: shorten it",
                name=name,
                count=len(value),
                limit=limit,
            ),
            reason=f"{name}-too-long",
        )
    problem = text_problem(value, lines=lines)
    if problem is not None:
        raise InvalidInput(
            N_("%(name)s %(problem)s", name=name, problem=problem), reason=f"bad-{name}"
        )
    return value or None


def _list(data: Mapping[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return parse_items(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(dict.fromkeys(item.strip() for item in value if item.strip()))
    raise InvalidInput(N_("%(name)s must be a list of text", name=name), reason=f"bad-{name}")


def profile_document(data: Mapping[str, Any]) -> dict[str, Any]:
    """The detached body (without its salt) from what a person typed; :class:`InvalidInput`
    with a reason naming the field for anything refused."""
    name = _text(data, "name", MAX_NAME, lines=False)
    if not name:
        raise InvalidInput(N_("a display name is required"), reason="name-required")
    if _MARKUP.search(name):
        raise InvalidInput(
            N_("the display name must not contain < or >: write the name only"), reason="bad-name"
        )
    doc: dict[str, Any] = {"name": name}
    for field in ("bio", "offers", "seeks"):
        value = _text(data, field, PROFILE_MAX_BIO)
        if value:
            doc[field] = value
    skills = _list(data, "skills")
    if not skills:
        raise InvalidInput(N_("name at least one skill"), reason="skills-required")
    if len(skills) > PROFILE_MAX_SKILLS:
        raise InvalidInput(
            N_("at most %(profile_max_skills)s skills", profile_max_skills=PROFILE_MAX_SKILLS),
            reason="too-many-skills",
        )
    for skill in skills:
        if len(skill) > 60 or text_problem(skill) is not None:
            raise InvalidInput(
                N_("a skill is one line of at most 60 characters (%(skill)r…)", skill=skill[:30]),
                reason="bad-skills",
            )
    doc["skills"] = skills
    languages = _list(data, "languages")
    if len(languages) > 10 or any(len(lang) > 40 for lang in languages):
        raise InvalidInput(
            N_("at most 10 languages of up to 40 characters"), reason="bad-languages"
        )
    if languages:
        doc["languages"] = languages
    links = data.get("links") or []
    if isinstance(links, str):
        links = [line for line in links.splitlines() if line.strip()]
    parsed = [parse_link(item) if isinstance(item, str) else item for item in links]
    if len(parsed) > 5:
        raise InvalidInput(N_("at most 5 links"), reason="bad-links")
    for link in parsed:
        try:
            URL(link.get("url") if isinstance(link, dict) else None, "url")
        except BodyError as exc:
            raise InvalidInput(
                N_("a link must be http(s)://…: %(detail)s", detail=exc.detail), reason="bad-links"
            ) from exc
    if parsed:
        doc["links"] = [{"title": link["title"], "url": link["url"]} for link in parsed]
    return doc


# -- the member's profile ---------------------------------------------------------------------


def _profile_id(member: Member) -> str:
    # The pseudonym already stands for the member outside this node (guest passes).
    return "p-" + member.pseudonym[:60]


def own_profile(session: Session, node: Node, member_id: int) -> dict[str, Any] | None:
    """The member's published profile (the detached body, salt left out) with its consent, or
    None when the member has none published."""
    row = session.get(MemberProfile, member_id) if fits_key(member_id) else None
    if row is None or not row.published:
        return None
    person = session.get(NetworkPerson, (node.node_id, row.profile_id))
    if person is None or person.withdrawn:
        return None
    raw = session.get(DetachedBody, (node.node_id, person.seq))
    body = dict(parse_strict(bytes(raw.raw))) if raw is not None else {}
    body.pop("salt", None)
    return {
        **body,
        "id": row.profile_id,
        "consent_date": row.consent_date,
        "consent_by": row.consent_by,
    }


def publish_profile(
    session: Session,
    node: Node,
    member_id: int,
    data: Mapping[str, Any],
    *,
    consent: bool,
    consent_by: str,
    consent_date: str | None = None,
) -> str:
    """Publish (or replace) the member's network profile; returns its id.

    ``consent`` must be True: the member ticked the box on their page, or the admin records the
    consent the member gave, with its date (``consent_date``, default today).
    """
    if not consent:
        raise InvalidInput(
            N_(
                "a profile is published only with the member's explicit consent: tick the consent "
                "box (or, as admin, record the date the member consented)"
            ),
            reason="consent-required",
        )
    member = get_member(session, member_id)
    if member.suspended:
        raise Conflict(
            N_("member %(member_id)s is suspended", member_id=member_id), reason="member-suspended"
        )
    when = parse_date(consent_date, "consent date") if consent_date else node.now().date()
    if when > node.now().date():
        raise InvalidInput(
            N_("the consent date cannot be in the future"), reason="bad-consent-date"
        )
    doc = profile_document(data)
    doc["salt"] = new_salt()
    try:
        raw = encode_detached("profile.put", doc)
    except BodyError as exc:
        raise InvalidInput(exc.detail, reason=exc.reason) from exc
    row = session.get(MemberProfile, member.id)
    profile_id = row.profile_id if row is not None else _profile_id(member)
    body = {"id": profile_id, "body_hash": detached_hash(raw)}
    publish(session, node, "profile.put", body, detached=raw)
    if row is None:
        row = MemberProfile(member_id=member.id, profile_id=profile_id)
        session.add(row)
    row.consent_date, row.consent_by = when.isoformat(), consent_by
    row.published, row.updated = True, node.now()
    return profile_id


def withdraw_profile(session: Session, node: Node, member_id: int) -> bool:
    """Withdraw the member's profile: a ``profile.withdraw`` entry (every node that mirrored
    the profile erases its text when it syncs it) and the messages waiting for the member are
    deleted. False when there was nothing published."""
    get_member(session, member_id)  # an unknown member (or an id no row can have) is refused
    row = session.get(MemberProfile, member_id)
    if row is None or not row.published:
        return False
    publish(session, node, "profile.withdraw", {"id": row.profile_id})
    row.published, row.updated = False, node.now()
    session.execute(delete(ContactMessage).where(ContactMessage.member_id == member_id))
    return True


def member_leaving(session: Session, node: Node, member_id: int) -> None:
    """A suspended or removed member's profile is withdrawn with them."""
    withdraw_profile(session, node, member_id)


# -- search -----------------------------------------------------------------------------------


def fold_text(text: str) -> str:
    """Lower case without accents, for matching ("Àrte" and "arte" are equal)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class PersonResult:
    """One profile found, with its home space and where to get in touch."""

    origin: str
    id: str
    name: str
    bio: str
    skills: list[str]
    offers: str
    seeks: str
    languages: list[str]
    links: list[dict[str, str]]
    space: str
    city: str
    contact_url: str | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


LiveProfiles = list[tuple[NetworkPerson, dict[str, Any]]]


def live_profiles(session: Session) -> LiveProfiles:
    """Every live profile of the network with its parsed body (blocked origins left out). A page
    that both searches and suggests skills reads them once and passes them to both."""
    hidden = published.hidden_origins(session)
    rows = session.execute(
        select(NetworkPerson, DetachedBody.raw)
        .join(
            DetachedBody,
            (DetachedBody.origin == NetworkPerson.origin) & (DetachedBody.seq == NetworkPerson.seq),
        )
        .where(NetworkPerson.withdrawn.is_(False))
    ).all()
    return [
        (person, dict(parse_strict(bytes(raw))))
        for person, raw in rows
        if person.origin not in hidden
    ]


def search(
    session: Session,
    node: Node,
    skill: str | None = None,
    city: str | None = None,
    page: int = 1,
    live: LiveProfiles | None = None,
) -> tuple[list[PersonResult], int]:
    """Profiles across the network whose skills contain ``skill`` and whose home space is in
    ``city`` (case and accents ignored), ``PAGE_SIZE`` a page; and how many matched. ``live``:
    :func:`live_profiles`, if the caller has read them already."""
    if page < 1 or page > 10_000:
        raise InvalidInput(N_("page must be 1 or more"), reason="bad-page")
    wanted_skill = fold_text(skill.strip()) if skill and skill.strip() else None
    wanted_city = fold_text(city.strip()) if city and city.strip() else None
    live = live_profiles(session) if live is None else live
    spaces = published.spaces(session, {person.origin for person, _ in live})
    matched: list[tuple[NetworkPerson, dict[str, Any], Space | None]] = []
    for person, body in live:
        space = spaces.get(person.origin)
        if wanted_skill and not any(wanted_skill in fold_text(s) for s in body["skills"]):
            continue
        if wanted_city and fold_text((space.city if space else None) or "") != wanted_city:
            continue
        matched.append((person, body, space))
    matched.sort(key=lambda item: (fold_text(item[1]["name"]), item[0].origin, item[0].id))
    chosen = matched[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    urls = node_urls(session, node, {person.origin for person, _, _ in chosen})
    results = []
    for person, body, space in chosen:
        base = urls.get(person.origin)
        results.append(
            PersonResult(
                origin=person.origin,
                id=person.id,
                name=body["name"],
                bio=body.get("bio", ""),
                skills=list(body["skills"]),
                offers=body.get("offers", ""),
                seeks=body.get("seeks", ""),
                languages=list(body.get("languages", [])),
                links=list(body.get("links", [])),
                space=space.name if space else "",
                city=(space.city or "") if space else "",
                contact_url=f"{base.rstrip('/')}/people/{person.id}/contact" if base else None,
            )
        )
    return results, len(matched)


def people_with_skills(session: Session, skills: Iterable[str]) -> dict[str, int]:
    """For each of ``skills``, how many live profiles across the network list a skill that
    contains it (case and accents ignored, as :func:`search` matches); a call's admin sees
    these beside the call ("3 people in the network list ceramica")."""
    wanted = {skill: fold_text(skill.strip()) for skill in skills if skill and skill.strip()}
    if not wanted:
        return {}
    folded = [[fold_text(s) for s in body["skills"]] for _person, body in live_profiles(session)]
    return {
        skill: sum(1 for listed in folded if any(key in s for s in listed))
        for skill, key in wanted.items()
    }


def skill_suggestions(
    session: Session, limit: int = 200, live: LiveProfiles | None = None
) -> list[str]:
    """The skills the network's live profiles use, most used first (one spelling each);
    ``live`` as for :func:`search`."""
    counts: dict[str, tuple[int, str]] = {}
    for _person, body in live_profiles(session) if live is None else live:
        for skill in body["skills"]:
            key = fold_text(skill)
            count, shown = counts.get(key, (0, skill))
            counts[key] = (count + 1, shown)
    ranked = sorted(counts.values(), key=lambda item: (-item[0], fold_text(item[1])))
    return [shown for _count, shown in ranked[:limit]]


# -- getting in touch -------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """A live profile of one of our members, as its contact form needs it."""

    member: Member
    profile_id: str
    name: str


def recipient(session: Session, node: Node, profile_id: str) -> Recipient:
    """The member behind our live profile ``profile_id``; 404 for an unknown profile, 410 for
    a withdrawn one (nothing may be sent to either)."""
    row = session.scalar(select(MemberProfile).where(MemberProfile.profile_id == profile_id))
    person = session.get(NetworkPerson, (node.node_id, profile_id[:64]))
    if row is None or person is None:
        raise NotFound(
            N_("no profile %(profile_id)r here", profile_id=profile_id[:64]),
            reason="unknown-profile",
        )
    if not row.published or person.withdrawn:
        raise ProfileWithdrawn(
            N_("this profile was withdrawn: the member can no longer be reached through it")
        )
    raw = session.get(DetachedBody, (node.node_id, person.seq))
    name = parse_strict(bytes(raw.raw))["name"] if raw is not None else ""
    return Recipient(get_member(session, row.member_id), profile_id, name)


def check_message(sender: str, text: str) -> tuple[str, str]:
    """The sender's address and the message as they will be kept, or :class:`InvalidInput`
    saying what to fix. Checked before the rate limit takes a token, so a typo costs nothing."""
    sender = (sender or "").strip()
    if len(sender) > 254 or not _EMAIL.fullmatch(sender):
        raise InvalidInput(
            N_(
                "give your e-mail address (name@example.org): the member sees it only if they "
                "choose to answer"
            ),
            reason="bad-email",
        )
    body = (text or "").replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput(N_("write a message"), reason="message-required")
    if len(body) > MAX_MESSAGE:
        raise InvalidInput(
            N_(
                "the message is %(count)s characters; at most %(max_message)s",
                count=len(body),
                max_message=MAX_MESSAGE,
            ),
            reason="message-too-long",
        )
    problem = text_problem(body, lines=True)
    if problem is not None:
        raise InvalidInput(
            N_("the message %(problem)s", problem=problem), reason="bad-message-text"
        )
    return sender, body


def send_message(
    session: Session, node: Node, profile_id: str, sender: str, text: str
) -> tuple[Recipient, ContactMessage, str]:
    """Keep a message for the member behind ``profile_id``; the message row and the secret of
    its answer link (``/people/answer/<secret>``), which the caller mails to the member."""
    found = recipient(session, node, profile_id)
    sender, body = check_message(sender, text)
    secret, hashed = new_secret()
    message = ContactMessage(
        member_id=found.member.id,
        sender_email=sender,
        text=body,
        secret_hash=hashed,
        created=node.now(),
    )
    session.add(message)
    session.flush()
    return found, message, secret


def message_for_answer(session: Session, secret: str) -> ContactMessage:
    """The message an answer link opens; 404 for a link that is not (or no longer) valid."""
    row = find_by_secret(session, ContactMessage.secret_hash, secret)
    if row is None:
        raise NotFound(N_("this answer link is not valid (any more)"), reason="unknown-message")
    return row


def reveal_sender(session: Session, node: Node, secret: str) -> ContactMessage:
    """The member chose to answer: the message with its sender's address, noted as revealed."""
    row = message_for_answer(session, secret)
    if row.revealed is None:
        row.revealed = node.now()
    return row
