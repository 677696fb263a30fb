"""Members' network profiles in an in-process network: publish with consent, search two hops
away, detached bodies verified against their hash, and erasure that reaches every node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from federation.feeds import Head, verify_page
from federation.keyring import Keyring
from node.errors import InvalidInput, NotFound
from node.models import DetachedBody, FeedEntry
from node.people import service
from node.people.models import ContactMessage, NetworkPerson
from node.services.members import add_member
from tests.network import network
from tests.support import FakeClock

PROFILE = {
    "name": "Giulia Bianchi",
    "bio": "Restauro mobili antichi e cornici dorate da vent'anni.",
    "skills": "Restauro mobili, doratura",
    "offers": "Consulenze sul restauro",
    "seeks": "Un laboratorio condiviso",
    "languages": "italiano, English",
    "links": "Portfolio | https://example.org/giulia",
}
SECRET_WORDS = b"cornici dorate da vent'anni"


def _member(net: Any, name: str, email: str = "giulia@example.org") -> int:
    with net[name].node.db.write() as session:
        return add_member(session, {"name": "Giulia Bianchi", "email": email}).id


def _publish(net: Any, at: str, member_id: int, **changes: Any) -> str:
    with net[at].node.db.write() as session:
        return service.publish_profile(
            session, net[at].node, member_id, {**PROFILE, **changes}, consent=True,
            consent_by="member",
        )  # fmt: skip


def _search(net: Any, name: str, **query: Any) -> list[service.PersonResult]:
    with net[name].node.db.read() as session:
        return service.search(session, net[name].node, **query)[0]


def test_profile_found_two_hops_away_and_erased_everywhere(tmp_path: Path) -> None:
    with network(tmp_path, FakeClock()) as net:
        net.add("a", city="Prato")
        net.add("b", city="Pistoia")
        net.add("c", city="Firenze")
        net.peer("a", "b")
        net.peer("b", "c")
        net.settle()
        member_id = _member(net, "a")
        profile_id = _publish(net, "a", member_id)
        net.settle()

        found = _search(net, "c", skill="restauro", city="prato")
        assert [p.name for p in found] == ["Giulia Bianchi"]
        assert found[0].skills == ["Restauro mobili", "doratura"]
        assert found[0].contact_url == f"http://a.test/people/{profile_id}/contact"
        assert found[0].space == "A" and found[0].city == "Prato"
        assert _search(net, "c", skill="RESTÀURO") and not _search(net, "c", skill="falegname")
        assert not _search(net, "c", skill="restauro", city="Firenze")
        # no e-mail address anywhere in any feed
        for name in "abc":
            with net[name].node.db.read() as session:
                raws = b"".join(bytes(r) for r in session.scalars(select(FeedEntry.raw)))
                bodies = b"".join(bytes(r) for r in session.scalars(select(DetachedBody.raw)))
            assert b"giulia@example.org" not in raws + bodies
            assert SECRET_WORDS not in raws  # the entry signs only the body's hash

        # the chain on c verifies from seq 1 without any detached body
        a_id = net["a"].node.node_id
        page = net["c"].client.get(f"/federation/v1/feeds/{a_id}").get_json()
        assert list(page["detached"]) and SECRET_WORDS.decode() in str(page["detached"])
        verify_page(a_id, Head(), page["entries"], Keyring(), 2**52)

        with net["a"].node.db.write() as session:
            assert service.withdraw_profile(session, net["a"].node, member_id)
        net.settle()
        for name in "abc":
            assert not _search(net, name, skill="restauro")
            with net[name].node.db.read() as session:
                assert session.scalars(select(DetachedBody)).all() == []
                person = session.get(NetworkPerson, (a_id, profile_id))
                assert person is not None and person.withdrawn
        page = net["c"].client.get(f"/federation/v1/feeds/{a_id}").get_json()
        assert "detached" not in page
        verify_page(a_id, Head(), page["entries"], Keyring(), 2**52)  # the chain still verifies
        put_seq = page["entries"][-2]["seq"]
        one = net["b"].client.get(f"/federation/v1/feeds/{a_id}/entries/{put_seq}?detached=1")
        assert one.get_json()["detached"] is None


def test_an_edit_erases_the_text_it_replaces(tmp_path: Path) -> None:
    with network(tmp_path, FakeClock()) as net:
        net.chain("ab")
        member_id = _member(net, "a")
        _publish(net, "a", member_id)
        net.settle()
        _publish(net, "a", member_id, bio="Falegname.")
        net.settle()
        for name in "ab":
            with net[name].node.db.read() as session:
                held = [bytes(r) for r in session.scalars(select(DetachedBody.raw))]
            assert len(held) == 1 and b"Falegname." in held[0] and SECRET_WORDS not in held[0]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"bio": "x" * 1001}, "bio-too-long"),
        ({"name": "<b>Giulia</b>"}, "bad-name"),
        ({"name": ""}, "name-required"),
        ({"skills": ""}, "skills-required"),
        ({"links": "Portfolio | javascript:alert(1)"}, "bad-links"),
    ],
)
def test_bad_profiles_are_refused_and_change_nothing(
    tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    with network(tmp_path, FakeClock()) as net:
        net.add("a")
        member_id = _member(net, "a")
        with net["a"].node.db.read() as session:
            before = session.scalars(select(FeedEntry.seq)).all()
        with pytest.raises(InvalidInput) as refused:
            _publish(net, "a", member_id, **changes)
        assert refused.value.reason == reason
        with net["a"].node.db.read() as session:
            assert session.scalars(select(FeedEntry.seq)).all() == before
            assert session.scalars(select(DetachedBody)).all() == []


def test_no_profile_without_consent(tmp_path: Path) -> None:
    with network(tmp_path, FakeClock()) as net:
        net.add("a")
        member_id = _member(net, "a")
        with net["a"].node.db.write() as session, pytest.raises(InvalidInput) as refused:
            service.publish_profile(
                session, net["a"].node, member_id, PROFILE, consent=False, consent_by="member"
            )
        assert refused.value.reason == "consent-required"


def test_messages_to_withdrawn_or_unknown_profiles_are_refused(tmp_path: Path) -> None:
    with network(tmp_path, FakeClock()) as net:
        net.add("a")
        member_id = _member(net, "a")
        profile_id = _publish(net, "a", member_id)
        with net["a"].node.db.write() as session:
            service.send_message(session, net["a"].node, profile_id, "arch@example.org", "Ciao")
            service.withdraw_profile(session, net["a"].node, member_id)
        with net["a"].node.db.write() as session:
            assert session.scalars(select(ContactMessage)).all() == []  # erased with it
        with net["a"].node.db.write() as session, pytest.raises(service.ProfileWithdrawn):
            service.send_message(session, net["a"].node, profile_id, "arch@example.org", "Ciao")
        with net["a"].node.db.write() as session, pytest.raises(NotFound):
            service.send_message(session, net["a"].node, "p-nobody", "arch@example.org", "Ciao")
        with net["a"].node.db.read() as session:
            assert session.scalars(select(ContactMessage)).all() == []


def test_withdrawal_deletes_the_mirrored_body_on_each_backend(
    tmp_path: Path, database_url: str | None
) -> None:
    """The mirror ``b`` runs on SQLite and on PostgreSQL: its row of the body is deleted, not
    hidden (PostgreSQL reclaims the dead tuple at its next vacuum: ARCHITECTURE.md §People)."""
    with network(tmp_path, FakeClock()) as net:
        net.add("a")
        net.add("b", database_url=database_url)
        net.peer("a", "b")
        net.settle()
        member_id = _member(net, "a")
        _publish(net, "a", member_id)
        net.settle()
        with net["b"].node.db.read() as session:
            (held,) = session.scalars(select(DetachedBody.raw)).all()
            assert SECRET_WORDS in bytes(held)
        with net["a"].node.db.write() as session:
            service.withdraw_profile(session, net["a"].node, member_id)
        net.settle()
        with net["b"].node.db.read() as session:
            assert session.scalars(select(DetachedBody)).all() == []
            assert not service.search(session, net["b"].node, skill="restauro")[0]


def test_removing_a_member_withdraws_their_profile(tmp_path: Path) -> None:
    from node.services.members import remove_member

    with network(tmp_path, FakeClock()) as net:
        net.chain("ab")
        member_id = _member(net, "a")
        profile_id = _publish(net, "a", member_id)
        net.settle()
        with net["a"].node.db.write() as session:
            remove_member(session, net["a"].node, member_id)
        net.settle()
        for name in "ab":
            with net[name].node.db.read() as session:
                person = session.get(NetworkPerson, (net["a"].node.node_id, profile_id))
                assert person is not None and person.withdrawn
                assert session.scalars(select(DetachedBody)).all() == []


def test_a_peers_markup_is_escaped_on_every_output(tmp_path: Path) -> None:
    """Another implementation may publish any text the protocol admits: the pages escape it."""
    from federation.detached import detached_hash, encode_detached
    from node.services.publishing import publish

    with network(tmp_path, FakeClock()) as net:
        net.chain("ab")
        doc = {
            "salt": "B" * 22,
            "name": "<img src=x onerror=alert(1)>",
            "bio": "<script>alert(2)</script>",
            "skills": ["restauro <b>mobili</b>"],
        }
        raw = encode_detached("profile.put", doc)
        with net["a"].node.db.write() as session:
            body = {"id": "p-raw", "body_hash": detached_hash(raw)}
            publish(session, net["a"].node, "profile.put", body, detached=raw)
        net.settle()
        page = net["b"].client.get("/network/people?skill=restauro").get_data(as_text=True)
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
        assert "<script>alert(2)" not in page and "<img src=x" not in page


def test_a_full_page_ends_early_rather_than_leave_a_body_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feed page over the size limit with its detached bodies ends at an earlier entry: a
    body left out of a page would leave the mirror with the entry and never its text."""
    from node.http import federation_read

    with network(tmp_path, FakeClock()) as net:
        net.add("a", city="Prato")
        net.add("b", city="Firenze")
        net.peer("a", "b")
        net.settle()
        for n in range(6):
            member_id = _member(net, "a", f"m{n}@example.org")
            _publish(
                net,
                "a",
                member_id,
                name=f"Member {n}",
                bio="x" * 1000,
                offers="y" * 1000,
                seeks="z" * 1000,
            )
        # Room for the entries and about two bodies a page.
        monkeypatch.setattr(federation_read, "MAX_PAGE_BYTES", 6000)
        net.settle()
        found = _search(net, "b")
        assert sorted(p.name for p in found) == [f"Member {n}" for n in range(6)]
        page = net["b"].client.get(f"/federation/v1/feeds/{net['a'].id}?after=0").get_json()
        assert page["entries"] and len(page["entries"]) < 10
        puts = [e["seq"] for e in page["entries"] if e["type"] == "profile.put"]
        assert puts and sorted(int(s) for s in page.get("detached", {})) == puts
