"""Guest passes and the front desk across in-process spaces: a pass issued at home is checked in
at the partner offline, the quotas hold, revocation and termination reach the desk by sync, and
every bad pass is refused with its reason and changes nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from sqlalchemy import event, func, select

from federation.keys import NodeKey
from node.errors import Conflict, InvalidInput
from node.services import members
from node.twinning import agreements, desk, passes
from node.twinning.agreements import Terms
from node.twinning.member_links import member_for_link, member_link, partner_summaries
from node.twinning.models import Visit
from tests.network import Network, network
from tests.node.twin_support import add_member, twin
from tests.support import FakeClock


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add("b", title="The Cube")
        net.add("c", title="Prato Hub", timezone="Europe/Rome")
        net.peer("a", "b")
        net.peer("b", "c")
        net.settle()
        yield net


@pytest.fixture
def twinned(net: Network) -> Network:
    """a and b twin: 2 days per member, 3 in total a month, hot desk and meeting room."""
    net.agreement = twin(net, "a", "b", ours=Terms(2, 3, ("hot_desk", "meeting_room")))  # type: ignore[attr-defined]
    return net


def _issue(
    net: Network, member: int, day: str | None = None, home: str = "a", host: str = "b"
) -> passes.IssuedPass:
    with net[home].node.db.write() as session:
        return passes.issue_pass(session, net[home].node, member, net[host].id, day)


def _check(
    net: Network, token: str, host: str = "b", resource: str | None = None
) -> desk.CheckinResult:
    with net[host].node.db.write() as session:
        return desk.check_in(session, net[host].node, token, resource)


def _visits(net: Network, host: str = "b") -> int:
    with net[host].node.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Visit)) or 0)


def test_a_pass_is_admitted_at_the_partner_while_the_home_node_is_down(twinned: Network) -> None:
    ada = add_member(twinned, "a")
    issued = _issue(twinned, ada)
    twinned.adapters.pop("http://a.test")  # the home node is unreachable from now on
    result = _check(twinned, issued.token + "\n", resource="hot_desk")  # a scanner's line end
    assert result.admitted and not result.already_today
    assert result.name == "Ada Lovelace" and result.home_name == "WeCreate NYC"
    assert (result.member_days_used, result.member_days_allowed) == (1, 2)
    assert (result.partner_days_used, result.partner_days_allowed) == (1, 3)
    again = _check(twinned, issued.token)
    assert again.admitted and again.already_today and again.member_days_used == 1
    assert _visits(twinned) == 1


def test_quotas_per_member_and_per_partner_hold_across_days(twinned: Network) -> None:
    ada, bob = add_member(twinned, "a"), add_member(twinned, "a", "Bob Noyce")
    assert _check(twinned, _issue(twinned, ada).token).admitted
    twinned.clock.advance(86400)
    assert _check(twinned, _issue(twinned, ada).token).admitted  # day 2 of 2
    twinned.clock.advance(86400)
    refused = _check(twinned, _issue(twinned, ada).token)
    assert not refused.admitted and refused.reason == "member-quota"
    assert "all their guest days" in refused.message
    assert _check(twinned, _issue(twinned, bob).token).admitted  # 3 of 3 for the partner
    twinned.clock.advance(86400)
    full = _check(twinned, _issue(twinned, bob).token)
    assert full.reason == "partner-quota" and full.partner_days_used == 3
    assert _visits(twinned) == 3


def test_a_resource_the_agreement_does_not_cover_is_refused(twinned: Network) -> None:
    token = _issue(twinned, add_member(twinned, "a")).token
    refused = _check(twinned, token, resource="office")
    assert refused.reason == "resource-not-covered" and _visits(twinned) == 0


def test_revocation_reaches_the_desk_by_sync(twinned: Network) -> None:
    ada = add_member(twinned, "a")
    issued = _issue(twinned, ada)
    with twinned["a"].node.db.write() as session:
        passes.revoke_pass(session, twinned["a"].node, issued.jti)
    assert _check(twinned, issued.token).admitted is True  # b has not synced yet: offline
    with twinned["b"].node.db.write() as session:
        session.execute(Visit.__table__.delete())
    twinned.settle()
    refused = _check(twinned, issued.token)
    assert refused.reason == "revoked" and _visits(twinned) == 0


def test_a_key_rotation_reaches_the_desk_by_sync_at_the_very_next_check(
    twinned: Network,
) -> None:
    # The desk keeps the keyring between checks (node.feedstore.keyring_at): it must see a
    # rotation synced since, though nothing else in the check changed.
    from node.services.keys import rotate

    ada, bob = add_member(twinned, "a"), add_member(twinned, "a", "Bob Noyce")
    assert _check(twinned, _issue(twinned, ada).token).admitted  # the keyring is kept now
    twinned.clock.advance(60)
    rotate(twinned["a"].node)
    token = _issue(twinned, bob).token  # signed with a's new key
    assert _check(twinned, token).reason == "unknown-issuer"  # b has not synced yet
    twinned.settle()
    assert _check(twinned, token).admitted


def test_a_check_in_is_few_statements(twinned: Network) -> None:
    # One statement reads what the checks need, then the month's lock, the member's days and
    # the writes (tests/bench/README.md, the desk): a new read per check shows here.
    token = _issue(twinned, add_member(twinned, "a")).token
    _check(twinned, _issue(twinned, add_member(twinned, "a", "Bob Noyce")).token)
    sent: list[str] = []

    def count(*args: object) -> None:
        if not str(args[2]).startswith("BEGIN"):
            sent.append(str(args[2]))

    engine = twinned["b"].node.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert _check(twinned, token).admitted
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # SQLite: the reads, the lock, the member's days, the day, the month and the report.
    assert len(sent) == 6, sent


def test_suspending_a_member_revokes_their_passes_and_refuses_new_ones(twinned: Network) -> None:
    ada = add_member(twinned, "a")
    first, second = _issue(twinned, ada), _issue(twinned, ada, "2026-11-20")
    with twinned["a"].node.db.write() as session:
        members.suspend_member(session, twinned["a"].node, ada)
        assert passes.live_passes(session, twinned["a"].node, ada) == []
    with pytest.raises(Conflict, match="suspended"):
        _issue(twinned, ada)
    twinned.settle()
    assert _check(twinned, first.token).reason == "revoked"
    assert _check(twinned, second.token).reason in ("revoked", "not-yet-valid")


def test_a_terminated_agreement_refuses_passes(twinned: Network) -> None:
    token = _issue(twinned, add_member(twinned, "a")).token
    with twinned["b"].node.db.write() as session:
        agreements.terminate(session, twinned["b"].node, twinned.agreement)  # type: ignore[attr-defined]
    assert _check(twinned, token).reason == "no-agreement"
    with pytest.raises(Conflict):  # a has not synced yet, but b's termination is in b's feed
        twinned.settle()
        _issue(twinned, add_member(twinned, "a", "Cy Young"))


def test_day_passes_cover_the_hosts_day_and_are_refused_before_it(twinned: Network) -> None:
    ada = add_member(twinned, "a")
    later = _issue(twinned, ada, "2026-11-21")  # three days ahead, a London day
    assert later.day == "2026-11-21"
    assert _check(twinned, later.token).reason == "not-yet-valid"
    twinned.clock.advance(3 * 86400)
    assert _check(twinned, later.token).admitted
    for day, message in (("2026-11-01", "already ended"), ("2026-12-15", "at most 6 days")):
        with pytest.raises(InvalidInput, match=message):
            _issue(twinned, ada, day)


def test_no_pass_without_an_agreement(net: Network) -> None:
    ada = add_member(net, "a")
    with pytest.raises(Conflict) as refused:
        _issue(net, ada)
    assert refused.value.reason == "no-agreement"


def test_bad_tokens_are_refused_with_their_reason_and_change_nothing(twinned: Network) -> None:
    ada = add_member(twinned, "a")
    good = _issue(twinned, ada).token
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    other_key = NodeKey.generate()
    resigned = jwt.encode(
        claims,
        other_key.private,
        algorithm="EdDSA",
        headers={"kid": twinned["a"].node.key.kid, "typ": "spazi-pass+jwt"},
    )
    forged_payload = (
        base64.urlsafe_b64encode(json.dumps({**claims, "name": "Mallory"}).encode())
        .decode()
        .rstrip("=")
    )
    cases = {
        "not a JWS": ("hello", "malformed"),
        "a URL": ("https://example.org/pass", "malformed"),
        "too long": (good + "A" * 2048, "malformed"),
        "re-signed with another key": (resigned, "bad-signature"),
        "claims changed": (f"{header}.{forged_payload}.{signature}", "bad-signature"),
    }
    for label, (token, reason) in cases.items():
        result = _check(twinned, token)
        assert (result.admitted, result.reason) == (False, reason), label
    # A pass for another host: c checks one made for b.
    twin(twinned, "a", "c")
    assert _check(twinned, good, host="c").reason == "wrong-host"
    twinned.clock.advance(2 * 86400)
    assert _check(twinned, good).reason == "expired"
    assert _visits(twinned) == _visits(twinned, "c") == 0


def test_a_pass_verifies_with_another_jose_library_against_the_home_jwks(twinned: Network) -> None:
    """joserfc (not the PyJWT the node uses) with the JWKS the home node serves."""
    from joserfc import jwt as jose_jwt
    from joserfc.jwk import KeySet

    issued = _issue(twinned, add_member(twinned, "a"))
    jwks = twinned["a"].client.get("/.well-known/jwks.json").get_json()
    keys = KeySet.import_key_set(
        {"keys": [{k: v for k, v in key.items() if k != "spazi"} for key in jwks["keys"]]}
    )
    token = jose_jwt.decode(issued.token, keys, algorithms=["EdDSA"])
    assert token.header["typ"] == "spazi-pass+jwt"
    claims = token.claims
    assert claims["iss"] == twinned["a"].id and claims["aud"] == twinned["b"].id
    assert claims["jti"] == issued.jti and claims["nbf"] <= twinned.clock() < claims["exp"]
    assert "@" not in json.dumps(claims)  # no email leaves home
    # The same library refuses it once a byte of the claims changes.
    header, payload, signature = issued.token.split(".")
    changed = (
        base64.urlsafe_b64encode(base64.urlsafe_b64decode(payload + "==").replace(b"Ada", b"Eve"))
        .decode()
        .rstrip("=")
    )
    with pytest.raises(Exception, match="signature"):
        jose_jwt.decode(f"{header}.{changed}.{signature}", keys, algorithms=["EdDSA"])


def test_member_links_open_the_member_and_rotate(twinned: Network) -> None:
    ada = add_member(twinned, "a")
    node = twinned["a"].node
    with node.db.write() as session:
        path = member_link(session, node, ada)
    secret = path.removeprefix("/m/")
    with node.db.read() as session:
        found = member_for_link(session, secret)
        assert found is not None and found.id == ada
        assert member_for_link(session, secret[:-1] + "x") is None
        summaries = partner_summaries(session, node, found)
    assert [(s.name, s.days_per_member_month, s.days_left_this_month) for s in summaries] == [
        ("The Cube", 2, 2)
    ]
    with pytest.raises(Conflict, match="--rotate"), node.db.write() as session:
        member_link(session, node, ada)
    with node.db.write() as session:
        rotated = member_link(session, node, ada, rotate=True)
    with node.db.read() as session:
        assert member_for_link(session, secret) is None
        assert member_for_link(session, rotated.removeprefix("/m/")) is not None
