"""``/metrics``: requests by route and status, sync and front-desk counters, stored-state gauges,
and the optional bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from node.twinning import desk, passes
from tests.network import Network, network
from tests.node.twin_support import add_member, twin
from tests.support import FakeClock, SpaceNode


def _samples(client, headers=None) -> dict[tuple[str, tuple], float]:  # type: ignore[no-untyped-def]
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].lower().count("charset") == 1, response.headers
    assert response.mimetype == "text/plain"
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_route_and_status(space: SpaceNode) -> None:
    before = _samples(space.client)
    space.client.get("/events/nope")
    space.client.get("/events/nope")
    after = _samples(space.client)
    key = {"route": "/events/<event_id>", "method": "GET", "status": "404"}
    assert (
        _value(after, "spazi_http_requests_total", **key)
        - _value(before, "spazi_http_requests_total", **key)
        == 2
    )


@pytest.fixture
def net(tmp_path: Path, clock: FakeClock) -> Iterator[Network]:
    with network(tmp_path, clock) as net:
        net.add("a")
        net.add("b")
        net.peer("a", "b")
        net.settle()
        yield net


def test_sync_checkins_and_stored_state_are_reported(net: Network) -> None:
    before = _samples(net["b"].client)
    twin(net, "a", "b")
    ada = add_member(net, "a")
    with net["a"].node.db.write() as session:
        token = passes.issue_pass(session, net["a"].node, ada, net["b"].id).token
    for value in (token, token, "garbage"):
        with net["b"].node.db.write() as session:
            desk.check_in(session, net["b"].node, value)
    after = _samples(net["b"].client)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert moved("spazi_checkins_total", outcome="admitted", reason="") == 1
    assert moved("spazi_checkins_total", outcome="admitted", reason="already-today") == 1
    assert moved("spazi_checkins_total", outcome="refused", reason="malformed") == 1
    assert moved("spazi_sync_entries_stored_total", peer=net["a"].id) >= 1
    assert _value(after, "spazi_origin_entries", origin=net["a"].id) >= 2
    assert ("spazi_peer_lag_entries", (("peer", net["a"].id),)) in after
    assert ("spazi_outbox_depth", ()) in after


def test_a_metrics_token_is_required_when_set(tmp_path: Path, clock: FakeClock) -> None:
    from tests.support import make_node

    guarded = make_node(tmp_path, clock=clock, settings={"metrics_token": "s3cret-scrape"})
    try:
        assert guarded.client.get("/metrics").status_code == 401
        assert (
            guarded.client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code
            == 401
        )
        assert _samples(guarded.client, {"Authorization": "Bearer s3cret-scrape"})
    finally:
        guarded.close()
