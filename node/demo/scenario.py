"""What the demo network does once it is up, and the pages it points a newcomer to.

:func:`play` runs the steps real spaces would take, through the same use cases as ``spazi``:
WeCreate NYC twins with The Cube and The Cube with Prato Hub (a proposal travels through the
proposer's outbox to the partner's inbox, the partner accepts, both publish), a member of NYC
gets a guest pass for The Cube and is checked in at its front desk, another books a desk there
on its next open day, members of Prato Hub and NYC publish network profiles with their skills,
The Cube posts a call for collaboration that seeks one of them, and The Cube publishes an
event co-hosted by Prato Hub, which confirms it, so it shows on both calendars. It returns the
tour: a label and a URL per page worth opening, which ``spazi demo`` prints. A second run
(``--keep``) finds the agreements in force and the joint event confirmed, and only issues a
fresh pass and personal link.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

from node.demo.network import SYNC_TIMEOUT_S, DemoError, DemoNetwork, DemoNode, Progress, opened
from node.demo.spaces import CUBE, JOINT_EVENT, JOINT_EVENT_ID, PRATO, event_day

# What twinned demo spaces give each other's members.
DAYS_PER_MEMBER = 2
DAYS_TOTAL = 40
KINDS = ("hot_desk", "meeting_room")


def _wait(what: str, done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + SYNC_TIMEOUT_S
    while not done():
        if time.monotonic() > deadline:
            raise DemoError(f"timed out waiting for {what}; see the spaces' process.log files")
        time.sleep(0.3)


def _state(demo_node: DemoNode, partner_id: str) -> str | None:
    """The state of ``demo_node``'s newest agreement with ``partner_id``, as its admin sees it."""
    from sqlalchemy import select

    from node.twinning import agreements
    from node.twinning.models import Agreement

    with opened(Path(demo_node.data_dir)) as node, node.db.read() as session:
        row = session.scalar(
            select(Agreement)
            .where(Agreement.partner_id == partner_id)
            .order_by(Agreement.created.desc())
        )
        return agreements.view(session, node, row).state if row is not None else None


def _node_id(demo_node: DemoNode) -> str:
    with opened(Path(demo_node.data_dir)) as node:
        return node.node_id


def _twins(demo_node: DemoNode) -> int:
    """How many agreements in force ``demo_node`` holds (its own and mirrored ones)."""
    from node import published

    with opened(Path(demo_node.data_dir)) as node, node.db.read() as session:
        return sum(1 for s in published.agreements(session).values() if s.in_force)


def twin(proposer: DemoNode, partner: DemoNode, progress: Progress) -> None:
    """``proposer`` proposes, ``partner`` accepts, both publish (skipped when in force)."""
    from node.twinning import agreements
    from node.twinning.agreements import Terms

    partner_id, proposer_id = _node_id(partner), _node_id(proposer)
    if _state(proposer, partner_id) == "active":
        return
    progress(f"{proposer.name} proposes twinning to {partner.name}")
    terms = Terms(DAYS_PER_MEMBER, DAYS_TOTAL, KINDS)
    today = date.today()
    with opened(Path(proposer.data_dir)) as node, node.db.write() as session:
        row = agreements.propose(
            session,
            node,
            partner_id,
            terms,
            terms,
            (today - timedelta(days=today.day - 1)).isoformat(),
            today.replace(year=today.year + 1).isoformat(),
        )
        agreement = row.id
    _wait(
        f"the proposal to reach {partner.name}", lambda: _state(partner, proposer_id) == "awaiting"
    )
    progress(f"{partner.name} accepts")
    with opened(Path(partner.data_dir)) as node, node.db.write() as session:
        agreements.accept(session, node, agreement)
    _wait(f"{proposer.name} to learn the answer", lambda: _state(proposer, partner_id) == "active")


def visit(home: DemoNode, host: DemoNode, progress: Progress) -> tuple[str, str]:
    """A member of ``home`` gets a pass for ``host`` and checks in there; their name and the
    path of their pass page (a fresh personal link)."""
    from node.services.members import list_members
    from node.twinning.desk import check_in
    from node.twinning.member_links import member_link
    from node.twinning.passes import issue_pass

    host_id = _node_id(host)
    with opened(Path(home.data_dir)) as node, node.db.write() as session:
        member = list_members(session)[0]
        name, member_id = member.name, member.id
        token = issue_pass(session, node, member_id, host_id).token
        link = member_link(session, node, member_id, rotate=True)
    progress(f"{name} of {home.name} shows a guest pass at {host.name}'s front desk")
    with opened(Path(host.data_dir)) as node, node.db.write() as session:
        result = check_in(session, node, token)
    if not result.admitted:
        raise DemoError(f"{host.name}'s desk refused the demo pass: {result.message}")
    return name, link


BOOKING_DAYS_AHEAD = range(1, 8)  # the first day The Cube is open within the coming week


def book_ahead(home: DemoNode, host: DemoNode, progress: Progress) -> str | None:
    """Another member of ``home`` books a hot desk at ``host`` on its next open day, with a
    pass for that day, as the "Book" button of their member page would; the member's name, or
    None when a booking exists already (a second run) or the week has no open day."""
    from sqlalchemy import select

    from node import published
    from node.bookings.hours import day_span
    from node.bookings.models import Booking
    from node.bookings.service import BookingRefused, Request, book
    from node.services.members import list_members
    from node.services.space import get_profile
    from node.twinning.passes import issue_pass

    host_id = _node_id(host)
    with opened(Path(host.data_dir)) as node, node.db.read() as session:
        if session.scalar(select(Booking.id).limit(1)) is not None:
            return None
        desk = next(
            r.id for r in published.resources(session, node.node_id) if r.kind == "hot_desk"
        )
        opening_hours = get_profile(session, node.node_id).get("opening_hours") or []
    with opened(Path(home.data_dir)) as node, node.db.read() as session:
        member = list_members(session)[1]
    # The pass is issued for the day booked only: the first day of the week the host's
    # published hours open, by the node's own rule (a pass per day tried left passes for
    # closed days behind).
    open_days = [
        day
        for day in (date.today() + timedelta(days=ahead) for ahead in BOOKING_DAYS_AHEAD)
        if day_span(opening_hours, day) is not None
    ]
    if not open_days:
        return None
    day = open_days[0]
    progress(f"{member.name} of {home.name} books a desk at {host.name}")
    with opened(Path(home.data_dir)) as node, node.db.write() as session:
        token = issue_pass(session, node, member.id, host_id, day).token
    try:
        with opened(Path(host.data_dir)) as node, node.db.write() as session:
            book(session, node, token, Request(desk, day))
    except BookingRefused as refused:
        raise DemoError(f"{host.name} refused the demo booking: {refused.detail}") from None
    return str(member.name)


# Two members who let the network find them by their skills, and a call that seeks one of them.
PROFILES = {
    "Giulia Rossi": {
        "name": "Giulia Rossi",
        "bio": "Restauro mobili antichi da trent'anni, nella mia bottega a Prato.",
        "skills": ["restauro mobili", "doratura", "falegnameria"],
        "offers": "Ospito chi vuole imparare il mestiere; lavori su commissione.",
        "seeks": "Qualcuno che porti la bottega online.",
        "languages": ["italiano", "English"],
    },
    "Margaret Hamilton": {
        "name": "Margaret Hamilton",
        "bio": "Web developer; I build online shops for small makers.",
        "skills": ["web design", "e-commerce"],
        "offers": "A shop online in a week, and teaching how to run it.",
        "seeks": "Crafts with a story to tell.",
        "languages": ["English"],
    },
}
CALL_ID = "maker-week-restorer"
CALL = {
    "id": CALL_ID,
    "title": "Maker week: a furniture restorer to lead a workshop",
    "description": "Five evenings of restoring chairs with our members; travel paid.",
    "skills": ["restauro mobili", "woodworking"],
    "city": "London",
    "remote": False,
}
CALL_DAYS_AHEAD = 21


def profiles_and_call(spaces: list[DemoNode], poster: DemoNode, progress: Progress) -> str:
    """Members publish their network profiles (consent given, as on their page), ``poster``
    posts a call seeking one of their skills, and every space learns both; the path of the
    restorer's profile page (a fresh personal link). Skipped where done (a second run)."""
    from node import published
    from node.people import service as people
    from node.projects import service as projects
    from node.services.members import list_members
    from node.twinning.member_links import member_link

    page = ""
    for demo_node in spaces:
        with opened(Path(demo_node.data_dir)) as node, node.db.write() as session:
            for member in list_members(session):
                profile = PROFILES.get(member.name)
                if profile is None:
                    continue
                if people.own_profile(session, node, member.id) is None:
                    progress(f"{member.name} of {demo_node.name} publishes a network profile")
                    people.publish_profile(
                        session, node, member.id, profile, consent=True, consent_by="member"
                    )
                if member.name == "Giulia Rossi":
                    page = member_link(session, node, member.id, rotate=True) + "/profile"
    poster_id = _node_id(poster)
    with opened(Path(poster.data_dir)) as node, node.db.write() as session:
        if published.project(session, node.node_id, CALL_ID) is None:
            progress(f"{poster.name} posts a call for collaboration")
            deadline = date.today() + timedelta(days=CALL_DAYS_AHEAD)
            projects.add_project(session, node, {**CALL, "deadline": deadline.isoformat()})

    def everywhere() -> bool:
        for demo_node in spaces:
            with opened(Path(demo_node.data_dir)) as node, node.db.read() as session:
                if published.project(session, poster_id, CALL_ID) is None:
                    return False
                if len(people.search(session, node)[0]) < len(PROFILES):
                    return False
        return True

    _wait("every space to learn the profiles and the call", everywhere)
    return page


def _cohosted(demo_node: DemoNode, author_id: str, cohost_id: str) -> bool:
    """Whether ``demo_node`` holds the joint event with ``cohost_id`` among its co-hosts."""
    from node import published

    with opened(Path(demo_node.data_dir)) as node, node.db.read() as session:
        row = published.event(session, author_id, JOINT_EVENT_ID)
        if row is None:
            return False
        return cohost_id in published.confirmed_cohosts(session, [row])[(author_id, row.id)]


def _has_event(demo_node: DemoNode, author_id: str) -> bool:
    from node import published

    with opened(Path(demo_node.data_dir)) as node, node.db.read() as session:
        return published.event(session, author_id, JOINT_EVENT_ID) is not None


def joint_event(author: DemoNode, cohost: DemoNode, progress: Progress) -> None:
    """``author`` publishes an event naming ``cohost`` as a co-host and ``cohost`` confirms it,
    as their admins would with ``spazi event add --cohost`` and ``spazi event cohost-confirm``
    (skipped when done)."""
    from node.services import cohosts, events

    author_id, cohost_id = _node_id(author), _node_id(cohost)
    if _cohosted(author, author_id, cohost_id):
        return
    if not _has_event(author, author_id):
        progress(f"{author.name} announces an event co-hosted by {cohost.name}")
        day = event_day(CUBE, JOINT_EVENT, date.today())  # The Cube's evening: an open day
        with opened(Path(author.data_dir)) as node, node.db.write() as session:
            body = {
                "id": JOINT_EVENT_ID,
                "title": JOINT_EVENT.title,
                "description": JOINT_EVENT.description,
                "start": f"{day}T{JOINT_EVENT.starts}",
                "end": f"{day}T{JOINT_EVENT.ends}",
                "tags": list(JOINT_EVENT.tags),
                "cohosts": [cohost_id],
            }
            events.add_event(session, node, body)
    _wait(f"the joint event to reach {cohost.name}", lambda: _has_event(cohost, author_id))
    if not _cohosted(cohost, author_id, cohost_id):
        progress(f"{cohost.name} confirms it: it shows on both calendars")
        with opened(Path(cohost.data_dir)) as node, node.db.write() as session:
            cohosts.confirm(session, node, author_id, JOINT_EVENT_ID)
    _wait(
        f"{author.name} to learn {cohost.name}'s confirmation",
        lambda: _cohosted(author, author_id, cohost_id),
    )


def play(network: DemoNetwork, progress: Progress) -> dict[str, str]:
    """Run the scenario on the started, connected network; the tour of pages to open."""
    nyc, cube, prato = network.nodes[:3]
    twin(nyc, cube, progress)
    twin(cube, prato, progress)
    name, link = visit(nyc, cube, progress)
    book_ahead(nyc, cube, progress)
    joint_event(cube, prato, progress)
    profile_page = profiles_and_call(network.nodes[:3], cube, progress)
    _wait(
        "every space to learn who twins with whom",
        lambda: all(_twins(n) >= 2 for n in network.nodes),
    )
    return {
        "network page": f"{nyc.url}/network",
        "events across the network": f"{nyc.url}/network/events",
        f"events widget for {PRATO.city}'s website": (
            f"{nyc.url}/network/embed/events?city={quote(PRATO.city)}&lang=it"
        ),
        f"partners of {nyc.name} (admin)": f"{nyc.url}/admin/partners",
        f"front desk of {cube.name} (admin)": f"{cube.url}/admin/desk",
        f"bookings at {cube.name} this week (admin)": f"{cube.url}/admin/bookings?week=1",
        f"guest passes of {name}, a member of {nyc.name}": f"{nyc.url}{link}",
        f"{prato.name}'s events, with one it co-hosts with {cube.name}": f"{prato.url}/events",
        "people across the network, by skill": f"{nyc.url}/network/people",
        "calls for collaboration across the network": f"{prato.url}/network/projects",
        f"calls of {cube.name}, with the people who match (admin)": f"{cube.url}/admin/projects",
        f"network profile of {PROFILES['Giulia Rossi']['name']}, a member of {prato.name}": (
            f"{prato.url}{profile_page}"
        ),
    }
