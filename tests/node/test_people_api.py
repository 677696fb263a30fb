"""An admin publishes and withdraws a member's network profile through the JSON API
(``/api/v1/members/<id>/profile``), with the date the member consented; bad input is a
problem document that changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from node.people import service
from tests.support import SpaceNode

PROFILE = {
    "name": "Giulia",
    "bio": "Type designer.\nLetterpress on Thursdays.",
    "skills": ["graphic design", "letterpress"],
    "languages": ["Italian", "English"],
    "links": [{"title": "Portfolio", "url": "https://giulia.example/works"}],
    "consent_date": "2026-11-10",
}


def _member(space: SpaceNode) -> int:
    made = space.client.post(
        "/api/v1/members", json={"name": "Giulia Rossi", "email": "g@example.org"},
        headers=space.auth(),
    )  # fmt: skip
    assert made.status_code == 201, made.get_json()
    return int(made.get_json()["id"])


def _problem(response: Any, status: int, reason: str) -> None:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"].endswith(reason), response.get_json()


def _own(space: SpaceNode, member: int) -> Any:
    with space.node.db.read() as session:
        return service.own_profile(session, space.node, member)


def test_an_admin_publishes_and_withdraws_a_profile(space: SpaceNode) -> None:
    member = _member(space)
    url = f"/api/v1/members/{member}/profile"
    put = space.client.put(url, json=PROFILE, headers=space.auth())
    assert put.status_code == 200, put.get_json()
    shown = put.get_json()
    assert shown["name"] == "Giulia" and shown["skills"] == ["graphic design", "letterpress"]
    assert (shown["consent_date"], shown["consent_by"]) == ("2026-11-10", "admin")
    assert _own(space, member) == shown  # what `spazi member profile show` prints
    people = space.client.get("/api/v1/people?skill=Letterpress").get_json()["people"]
    assert [p["name"] for p in people] == ["Giulia"]

    without_bio = {k: v for k, v in PROFILE.items() if k != "bio"}
    replaced = space.client.put(
        url, json={**without_bio, "skills": ["bookbinding"]}, headers=space.auth()
    ).get_json()
    assert replaced["id"] == shown["id"] and replaced["skills"] == ["bookbinding"]
    assert "bio" not in replaced  # a PUT is the whole profile

    assert space.client.delete(url, headers=space.auth()).status_code == 204
    assert space.client.get("/api/v1/people").get_json()["people"] == []
    assert _own(space, member) is None
    before = space.counts()
    assert space.client.delete(url, headers=space.auth()).status_code == 204  # idempotent
    assert space.counts() == before
    for unknown in ("999", "99999999999999999999"):  # the second fits no database integer
        gone = space.client.delete(f"/api/v1/members/{unknown}/profile", headers=space.auth())
        _problem(gone, 404, "unknown-member")
        put = space.client.put(
            f"/api/v1/members/{unknown}/profile", json=PROFILE, headers=space.auth()
        )
        _problem(put, 404, "unknown-member")


def test_bad_profiles_are_refused_and_change_nothing(space: SpaceNode) -> None:
    member = _member(space)
    url = f"/api/v1/members/{member}/profile"
    before = space.counts()
    for body, status, reason in [
        ({k: v for k, v in PROFILE.items() if k != "consent_date"}, 422, "invalid-input"),
        ({**PROFILE, "consent_date": "2999-01-01"}, 422, "bad-consent-date"),
        ({**PROFILE, "skills": []}, 422, "skills-required"),
        ({**PROFILE, "name": "<b>G</b>"}, 422, "bad-name"),
        ({**PROFILE, "links": [{"url": "https://x.example"}]}, 422, "invalid-input"),
        ({**PROFILE, "links": [{"title": "x", "url": "ftp://x.example"}]}, 422, "invalid-input"),
        ({**PROFILE, "extra": 1}, 422, "invalid-input"),
    ]:
        _problem(space.client.put(url, json=body, headers=space.auth()), status, reason)
    _problem(space.client.put("/api/v1/members/999/profile", json=PROFILE,
                              headers=space.auth()), 404, "unknown-member")  # fmt: skip
    assert space.client.put(url, json=PROFILE).status_code == 401
    assert space.client.delete(url).status_code == 401
    assert space.counts() == before
