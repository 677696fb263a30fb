"""Bad input on every API surface: a specific problem+json and no change to stored data."""

from __future__ import annotations

import json

import pytest

from tests.support import SpaceNode

GOOD_EVENT = {"title": "Talk", "start": "2026-12-01T18:00", "end": "2026-12-01T19:00"}
GOOD_DESK = {"kind": "hot_desk", "name": "Desk", "capacity": 4}


def _problem(response, status: int, reason: str) -> dict:
    assert response.status_code == status, response.data
    assert response.mimetype == "application/problem+json"
    doc = response.get_json()
    assert doc["type"] == f"urn:spazi:problem:{reason}"
    assert doc["status"] == status
    assert doc["detail"]
    return doc


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "reason", "mentions"),
    [
        ("post", "/api/v1/resources", b"{not json", 422, "malformed-json", "malformed"),
        (
            "post",
            "/api/v1/resources",
            b'{"kind":"hot_desk","kind":"office"}',
            422,
            "malformed-json",
            "duplicate",
        ),
        (
            "post",
            "/api/v1/resources",
            b'{"kind":"hot_desk","name":"D","capacity":2.5}',
            422,
            "malformed-json",
            "integer",
        ),
        (
            "post",
            "/api/v1/resources",
            json.dumps({**GOOD_DESK, "capacity": "4"}),
            422,
            "invalid-input",
            "capacity",
        ),
        (
            "post",
            "/api/v1/resources",
            json.dumps({**GOOD_DESK, "colour": "red"}),
            422,
            "invalid-input",
            "colour",
        ),
        (
            "post",
            "/api/v1/resources",
            json.dumps({**GOOD_DESK, "kind": "sofa"}),
            422,
            "invalid-input",
            "kind",
        ),
        ("post", "/api/v1/resources", json.dumps({"kind": "office"}), 422, "invalid-input", "name"),
        ("post", "/api/v1/resources", json.dumps([GOOD_DESK]), 422, "invalid-input", "object"),
        (
            "post",
            "/api/v1/events",
            json.dumps({**GOOD_EVENT, "start": "tomorrow"}),
            422,
            "invalid-input",
            "start",
        ),
        (
            "post",
            "/api/v1/events",
            json.dumps({**GOOD_EVENT, "end": "2026-12-01T17:00"}),
            422,
            "invalid-input",
            "end",
        ),
        (
            "post",
            "/api/v1/events",
            json.dumps({**GOOD_EVENT, "start": "2026-02-30T10:00"}),
            422,
            "invalid-input",
            "start",
        ),
        (
            "post",
            "/api/v1/events",
            json.dumps({**GOOD_EVENT, "timezone": "Mars/Olympus"}),
            422,
            "invalid-input",
            "timezone",
        ),
        (
            "post",
            "/api/v1/events",
            json.dumps({**GOOD_EVENT, "cohosts": ["bob"]}),
            422,
            "invalid-input",
            "cohosts",
        ),
        (
            "patch",
            "/api/v1/space",
            json.dumps({"country": "Italy"}),
            422,
            "invalid-input",
            "country",
        ),
        (
            "patch",
            "/api/v1/space",
            json.dumps({"latitude_e6": 91_000_000}),
            422,
            "invalid-input",
            "latitude",
        ),
        (
            "patch",
            "/api/v1/resources/nope",
            json.dumps({"capacity": 3}),
            404,
            "unknown-resource",
            "nope",
        ),
        ("delete", "/api/v1/resources/nope", None, 404, "unknown-resource", "nope"),
        ("patch", "/api/v1/events/nope", json.dumps({"title": "x"}), 404, "unknown-event", "nope"),
        ("post", "/api/v1/events/nope/cancel", None, 404, "unknown-event", "nope"),
        ("delete", "/api/v1/members/999", None, 404, "unknown-member", "999"),
        (
            "post",
            "/api/v1/members",
            json.dumps({"name": "A", "email": "not-an-email"}),
            422,
            "invalid-input",
            "email",
        ),
    ],
)
def test_bad_admin_input_is_refused_and_changes_nothing(
    space: SpaceNode, method: str, path: str, body: object, status: int, reason: str, mentions: str
) -> None:
    before = space.counts()
    response = getattr(space.client, method)(
        path, data=body, headers={**space.auth(), "Content-Type": "application/json"}
    )
    doc = _problem(response, status, reason)
    assert mentions in doc["detail"]
    assert space.counts() == before


def test_wrong_content_type_is_refused(space: SpaceNode) -> None:
    before = space.counts()
    response = space.client.post(
        "/api/v1/resources",
        data="kind=hot_desk",
        headers={**space.auth(), "Content-Type": "text/plain"},
    )
    _problem(response, 415, "unsupported-media-type")
    assert space.counts() == before


def test_oversized_body_is_refused_before_parsing(space: SpaceNode) -> None:
    before = space.counts()
    limit = space.app.config["MAX_CONTENT_LENGTH"]
    body = b'{"name":"' + b"x" * limit + b'"}'
    response = space.client.patch(
        "/api/v1/space", data=body, headers={**space.auth(), "Content-Type": "application/json"}
    )
    doc = _problem(response, 413, "body-too-large")
    assert str(limit) in doc["detail"]
    assert space.counts() == before


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer spz_wrong"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer "},
    ],
)
def test_missing_or_wrong_token_is_refused(space: SpaceNode, headers: dict) -> None:
    before = space.counts()
    response = space.client.post("/api/v1/resources", json=GOOD_DESK, headers=headers)
    _problem(response, 401, "bad-token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert space.counts() == before


def test_revoked_token_is_refused(space: SpaceNode) -> None:
    from node.services.admin_auth import create_token, revoke_token

    with space.node.db.write() as session:
        row, secret = create_token(session, "temp")
    with space.node.db.write() as session:
        revoke_token(session, row.id)
    before = space.counts()
    response = space.client.post(
        "/api/v1/resources", json=GOOD_DESK, headers={"Authorization": f"Bearer {secret}"}
    )
    _problem(response, 401, "bad-token")
    assert space.counts() == before


def test_duplicate_ids_conflict(space: SpaceNode) -> None:
    assert (
        space.client.post(
            "/api/v1/resources", json={**GOOD_DESK, "id": "d1"}, headers=space.auth()
        ).status_code
        == 201
    )
    before = space.counts()
    response = space.client.post(
        "/api/v1/resources", json={**GOOD_DESK, "id": "d1"}, headers=space.auth()
    )
    _problem(response, 409, "resource-exists")
    assert space.counts() == before


@pytest.mark.parametrize(
    ("query", "mentions"),
    [
        ("?from=yesterday", "from"),
        ("?to=2026-13-01", "to"),
        ("?colour=red", "colour"),
        ("?include_cancelled=maybe", "include_cancelled"),
        ("?to=", "to"),
        ("?from=&tag=x", "from"),
    ],
)
def test_bad_event_filters(space: SpaceNode, query: str, mentions: str) -> None:
    doc = _problem(space.client.get(f"/api/v1/events{query}"), 422, "invalid-input")
    assert mentions in doc["detail"]


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("/federation/v1/feeds/{id}?after=-1", 400, "bad-parameter"),
        ("/federation/v1/feeds/{id}?after=abc", 400, "bad-parameter"),
        ("/federation/v1/feeds/{id}?limit=0", 400, "bad-parameter"),
        ("/federation/v1/feeds/{id}?limit=99999999999999999", 400, "bad-parameter"),
        ("/federation/v1/feeds/not-a-did", 400, "bad-parameter"),
        (
            "/federation/v1/feeds/did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
            404,
            "unknown-origin",
        ),
        ("/federation/v1/feeds/{id}/entries/99", 404, "unknown-entry"),
        ("/no/such/path", 404, "not-found"),
    ],
)
def test_federation_read_errors(space: SpaceNode, path: str, status: int, reason: str) -> None:
    _problem(space.client.get(path.format(id=space.id)), status, reason)


def test_wrong_method_is_a_problem(space: SpaceNode) -> None:
    response = space.client.put("/api/v1/resources", json=GOOD_DESK, headers=space.auth())
    _problem(response, 405, "method-not-allowed")


def test_a_feed_page_limit_above_the_maximum_is_reduced(space: SpaceNode) -> None:
    for number in range(3):
        space.client.post(
            "/api/v1/resources",
            json={**GOOD_DESK, "id": f"d{number}"},
            headers=space.auth(),
        )
    space.node.settings["feed_page_max"] = 2
    page = space.client.get(f"/federation/v1/feeds/{space.id}?after=0&limit=1000").get_json()
    assert [e["seq"] for e in page["entries"]] == [1, 2]
    assert page["head"]["seq"] == 4


def test_a_feed_page_stays_within_the_response_size_limit(
    space: SpaceNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    from node.http import federation_read

    for number in range(4):
        space.client.post(
            "/api/v1/resources",
            json={**GOOD_DESK, "id": f"big{number}", "description": "x" * 3000},
            headers=space.auth(),
        )
    monkeypatch.setattr(federation_read, "MAX_PAGE_BYTES", 7000)
    page = space.client.get(f"/federation/v1/feeds/{space.id}?after=1").get_json()
    assert [e["seq"] for e in page["entries"]] == [2, 3]
    single = space.client.get(f"/federation/v1/feeds/{space.id}?after=4").get_json()
    assert [e["seq"] for e in single["entries"]] == [5]  # one entry even if over the budget


@pytest.mark.parametrize("body", [b"null", b"[]", b'"now"', b"3"])
@pytest.mark.parametrize("what", ["event", "project"])
def test_a_body_that_may_be_left_out_must_be_an_object_when_given(
    space: SpaceNode, body: bytes, what: str
) -> None:
    # Cancelling an event, closing a call: no body is no reason; ``null`` is no way to say none.
    if what == "event":
        made = {"title": "Open day", "start": "2026-12-20T10:00", "end": "2026-12-20T12:00"}
        created = space.client.post("/api/v1/events", json=made, headers=space.auth())
        target = f"/api/v1/events/{created.get_json()['id']}/cancel"
    else:
        made = {"id": "call", "title": "Translators", "deadline": "2099-01-01"}
        created = space.client.post("/api/v1/projects", json=made, headers=space.auth())
        target = "/api/v1/projects/call/close"
    assert created.status_code == 201, created.get_json()
    before = space.counts()
    response = space.client.post(
        target, data=body, headers={**space.auth(), "Content-Type": "application/json"}
    )
    _problem(response, 422, "invalid-input")
    assert space.counts() == before


def test_an_id_too_large_for_any_row_is_not_found(space: SpaceNode) -> None:
    # It reached the database driver as an integer overflow (500) before.
    for path in ("/api/v1/members/99999999999999999999", "/api/v1/members/2147483648"):
        got = space.client.get(path, headers=space.auth())
        assert got.status_code == 404, path
        assert got.mimetype == "application/problem+json"


def test_a_price_needs_a_currency_like_every_validation_error(space: SpaceNode) -> None:
    priced = {**GOOD_DESK, "id": "d9", "price_day_minor": 2500}
    refused = space.client.post("/api/v1/resources", json=priced, headers=space.auth())
    assert refused.status_code == 422
    assert refused.json["type"] == "urn:spazi:problem:invalid-input"
    assert refused.json["errors"] == {"currency": ["a price needs a currency, e.g. EUR"]}
    free = {**GOOD_DESK, "id": "d9"}
    made = space.client.post("/api/v1/resources", json=free, headers=space.auth())
    assert made.status_code == 201
    before = space.counts()
    change = space.client.patch(
        "/api/v1/resources/d9", json={"price_day_minor": 2500}, headers=space.auth()
    )
    assert change.status_code == 422 and change.json["errors"] == {
        "currency": ["a price needs a currency, e.g. EUR"]
    }
    assert space.counts() == before
    paid = space.client.patch(
        "/api/v1/resources/d9",
        json={"price_day_minor": 2500, "currency": "EUR"},
        headers=space.auth(),
    )
    assert paid.status_code == 200
