"""The twinning pages through the web app: the partners page (propose, accept), the front desk
(token, photo, refusals), the desk role that opens nothing else, and the member's pass page."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
import segno

from node.services.admin_auth import create_user
from node.twinning import passes
from node.twinning.agreements import Terms
from node.twinning.member_links import member_link
from tests.network import Network, network
from tests.node.twin_support import add_member, state, twin
from tests.support import FakeClock, SpaceNode

PASSWORD = "correct horse battery staple"


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    with network(tmp_path, clock) as net:
        net.add("a", title="WeCreate NYC", timezone="America/New_York")
        net.add("b", title="The Cube")
        net.peer("a", "b")
        net.settle()
        for name in "ab":
            net[name].app.config["WTF_CSRF_ENABLED"] = True
        yield net


def _html(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.get_data(as_text=True))


def _login(space: SpaceNode, email: str, role: str = "admin") -> None:
    with space.node.db.write() as session:
        create_user(session, email, PASSWORD, role)
    token = _token(space, "/admin/login")
    answer = space.client.post(
        "/admin/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 302


def _token(space: SpaceNode, path: str) -> str:
    response = space.client.get(path)
    assert response.status_code == 200, path
    found = re.search(r'name="csrf_token" value="([^"]+)"', _html(response))
    assert found, path
    return found.group(1)


def _pass(net: Network, member: int) -> str:
    with net["a"].node.db.write() as session:
        return passes.issue_pass(session, net["a"].node, member, net["b"].id).token


def test_two_admins_twin_from_the_partners_page(net: Network) -> None:
    _login(net["a"], "admin@a.test")
    _login(net["b"], "admin@b.test")
    page = _html(net["a"].client.get("/admin/partners"))
    assert "The Cube" in page and "Propose an agreement" in page
    sent = net["a"].client.post(
        "/admin/partners/propose",
        data={
            "partner": net["b"].id,
            "per_member": "2",
            "total": "20",
            "kinds": ["hot_desk", "meeting_room"],
            "valid_from": "2026-11-18",
            "valid_until": "2027-11-18",
            "csrf_token": _token(net["a"], "/admin/partners"),
        },
    )
    assert sent.status_code == 302
    net.deliver()
    page = _html(net["b"].client.get("/admin/partners"))
    assert "WeCreate NYC" in page and "Proposals to answer" in page
    agreement = re.search(r"/admin/partners/([0-9a-f]{64})/accept", page)
    assert agreement
    accepted = net["b"].client.post(
        f"/admin/partners/{agreement.group(1)}/accept",
        data={"csrf_token": _token(net["b"], "/admin/partners")},
    )
    assert accepted.status_code == 302
    net.settle()
    assert state(net, "a", agreement.group(1)) == "active"
    active = _html(net["a"].client.get("/admin/partners"))
    assert "Active agreements" in active and "0 guest days used here" in active


def test_the_partners_page_shows_a_refusal_and_keeps_nothing(net: Network) -> None:
    _login(net["a"], "admin@a.test")
    answer = net["a"].client.post(
        "/admin/partners/propose",
        data={
            "partner": net["b"].id,
            "per_member": "40",
            "total": "20",
            "kinds": "hot_desk",
            "valid_from": "2026-11-18",
            "valid_until": "2027-11-18",
            "csrf_token": _token(net["a"], "/admin/partners"),
        },
    )
    assert answer.status_code == 422
    assert "days per member must be 1 to 31" in _html(answer)
    assert "Active agreements" in _html(answer)
    assert net.deliver() == 0


def _desk_post(space: SpaceNode, **data) -> str:  # type: ignore[no-untyped-def]
    token = _token(space, "/admin/desk")
    response = space.client.post(
        "/admin/desk", data={**data, "csrf_token": token}, content_type="multipart/form-data"
    )
    return _html(response)


def test_the_desk_admits_by_token_and_by_photo_and_lists_todays_guests(net: Network) -> None:
    twin(net, "a", "b", ours=Terms(2, 10, ("hot_desk",)))
    _login(net["b"], "desk@b.test", role="desk")
    page = _desk_post(net["b"], token=_pass(net, add_member(net, "a")))
    assert "Welcome" in page and "Ada Lovelace" in page and "Day 1 of 2 this month" in page
    photo = io.BytesIO()
    segno.make(_pass(net, add_member(net, "a", "Bob Noyce")), error="m").save(
        photo, kind="png", scale=4
    )
    photo.seek(0)
    page = _desk_post(net["b"], photo=(photo, "pass.png"))
    assert "Bob Noyce" in page and "admitted" in page
    listed = page[page.index("Today's guests") :]
    assert "Ada Lovelace" in listed and "Bob Noyce" in listed


def test_a_full_size_phone_photo_is_read(net: Network) -> None:
    """A few megabytes, above the node's usual request limit, below the photo limit."""
    import random

    from PIL import Image

    twin(net, "a", "b", ours=Terms(2, 10, ("hot_desk",)))
    _login(net["b"], "admin@b.test")
    noise = random.Random(7)
    photo = Image.frombytes(
        "L", (2000, 2000), bytes(noise.getrandbits(8) for _ in range(4_000_000))
    )
    code = io.BytesIO()
    segno.make(_pass(net, add_member(net, "a")), error="m").save(code, kind="png", scale=6)
    code.seek(0)
    with Image.open(code) as qr:
        photo.paste(qr.convert("L"), (600, 600))
    data = io.BytesIO()
    photo.save(data, "PNG")
    assert data.tell() > net["b"].app.config["MAX_CONTENT_LENGTH"]
    data.seek(0)
    page = _desk_post(net["b"], photo=(data, "photo.png"))
    assert "Ada Lovelace" in page and "admitted" in page


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (b"not an image at all", "not a photo"),
        ("blank", "No QR code found"),
        ("url", "not a readable Spazi guest pass"),
    ],
)
def test_the_desk_refuses_bad_photos(net: Network, upload, message: str) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    _login(net["b"], "admin@b.test")
    data = io.BytesIO()
    if upload == "blank":
        Image.new("L", (200, 200), 255).save(data, "PNG")
    elif upload == "url":
        segno.make("https://example.org/free-desk").save(data, kind="png", scale=4)
    else:
        data.write(upload)
    data.seek(0)
    page = _desk_post(net["b"], photo=(data, "photo.png"))
    assert message in page and "refused" in page


def test_a_ten_megabyte_upload_is_refused(net: Network) -> None:
    _login(net["b"], "admin@b.test")
    token = _token(net["b"], "/admin/desk")
    big = io.BytesIO(b"\x89PNG" + b"\0" * (10 * 1024 * 1024 + 10))
    response = net["b"].client.post(
        "/admin/desk",
        data={"photo": (big, "big.png"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_a_desk_user_opens_the_desk_page_and_nothing_else(net: Network) -> None:
    _login(net["b"], "desk@b.test", role="desk")
    client = net["b"].client
    assert client.get("/admin/desk").status_code == 200
    assert client.get("/admin/bookings").status_code == 200
    opened = []
    for rule in net["b"].app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "GET" not in rule.methods:
            continue
        if rule.endpoint in (
            "twinning_admin.desk_page",
            "booking_admin.bookings",  # the front desk sees what is booked
            "admin_pages.login",
            "admin_pages.password",
        ):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", "x", rule.rule)
        status = client.get(path).status_code
        if status not in (403, 404, 405):
            opened.append((path, status))
    assert opened == []
    assert client.post("/admin/profile", data={}).status_code in (400, 403)


def test_the_member_page_shows_passes_and_issues_one(net: Network) -> None:
    twin(net, "a", "b")
    ada = add_member(net, "a")
    with net["a"].node.db.write() as session:
        path = member_link(session, net["a"].node, ada)
    client = net["a"].client
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" not in page.headers.get("Cache-Control", "")
    html = _html(page)
    assert "The Cube" in html and "2 of 2 guest days left this month" in html
    assert "manifest.webmanifest" in html
    issued = client.post(path + "/pass", data={"partner": net["b"].id, "day": "2026-11-19"})
    assert issued.status_code == 302
    html = _html(client.get(path))
    assert "<svg" in html and "For 2026-11-19" in html and "1 of 2 guest days left" in html
    refused = client.post(path + "/pass", data={"partner": net["b"].id, "day": "2027-05-01"})
    assert refused.status_code == 422 and "at most 6 days" in _html(refused)
    manifest = client.get(path + "/manifest.webmanifest").get_json()
    assert manifest["start_url"] == path and manifest["display"] == "standalone"
    assert manifest["short_name"] == "Guest passes" and manifest["lang"] == "en"
    italian = client.get(path + "/manifest.webmanifest?lang=it").get_json()
    assert italian["short_name"] == "Pass ospite" and italian["lang"] == "it"
    assert italian["description"].startswith("Pass ospite di ")
    worker = client.get("/m/sw.js")
    assert worker.status_code == 200 and "caches" in worker.get_data(as_text=True)
    assert client.get("/m/" + "x" * 22).status_code == 404


def test_the_pass_page_shows_one_pass_and_its_state(net: Network) -> None:
    twin(net, "a", "b")
    ada = add_member(net, "a")
    with net["a"].node.db.write() as session:
        issued = passes.issue_pass(session, net["a"].node, ada, net["b"].id)
    page = net["a"].client.get(f"/m/pass/{issued.jti}")
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    html = _html(page)
    assert "Guest pass for The Cube" in html and "<svg" in html and "Ada Lovelace" in html
    with net["a"].node.db.write() as session:
        passes.revoke_pass(session, net["a"].node, issued.jti)
    html = _html(net["a"].client.get(f"/m/pass/{issued.jti}"))
    assert "revoked" in html and "<svg" not in html
    assert net["a"].client.get("/m/pass/" + "z" * 22).status_code == 404


def test_the_partners_page_counts_this_months_usage(net: Network) -> None:
    twin(net, "a", "b", ours=Terms(2, 10, ("hot_desk",)))
    _login(net["a"], "admin@a.test")
    _login(net["b"], "admin@b.test")
    token = _pass(net, add_member(net, "a"))
    _desk_post(net["b"], token=token)
    assert "1 guest day used here" in _html(net["b"].client.get("/admin/partners"))
    assert "1 passes issued to ours" in _html(net["a"].client.get("/admin/partners"))
    net.clock.advance(14 * 86400)  # December: a new month counts from nothing
    assert "0 guest days used here" in _html(net["b"].client.get("/admin/partners"))
    assert "0 passes issued to ours" in _html(net["a"].client.get("/admin/partners"))
