"""Photos of desks and rooms (ARCHITECTURE.md §Photos): published with ``resource.put``, dropped
by ``resource.remove``, managed from the admin pages and the CLI, shown on the space's page and
fetched and checked by peers — through the same kinds of record as the profile and events
(node/photos/kinds.py)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from federation.encoding import sha256_hex
from node.errors import NodeError
from node.photos import fetching, files, service
from node.photos.kinds import EVENT, KINDS, PROFILE, RESOURCE, SPACE, kind_of
from node.photos.models import PhotoFile, PhotoRef
from node.photos.refs import shown
from node.services import resources
from tests.network import Network
from tests.node.test_admin_pages import csrf_token, logged_in_admin
from tests.node.test_photos import add_event, add_photo, jpeg, run
from tests.support import FakeClock, SpaceNode

ITEM = RESOURCE.item("sala")


def add_room(space: SpaceNode, resource_id: str = "sala", name: str = "Sala Blu") -> None:
    with space.node.db.write() as session:
        resources.add_resource(
            session,
            space.node,
            {"id": resource_id, "kind": "meeting_room", "name": name, "capacity": 8},
        )


def room(space: SpaceNode, resource_id: str = "sala") -> dict[str, Any]:
    with space.node.db.read() as session:
        return dict(resources.get_resource(session, space.id, resource_id).body)


def refs(space: SpaceNode, origin: str, item: str = ITEM) -> list[PhotoRef]:
    with space.node.db.read() as session:
        query = select(PhotoRef).where(PhotoRef.origin == origin, PhotoRef.item == item)
        return list(session.scalars(query))


# -- the kinds of record -----------------------------------------------------------------------


def test_each_kind_keys_its_records_apart_and_parses_its_own_items() -> None:
    assert [k.entry_type for k in KINDS] == ["space.profile", "event.put", "resource.put"]
    for kind, record_id in ((SPACE, ""), (EVENT, "ev-1"), (RESOURCE, "ev-1")):
        assert kind_of(kind.item(record_id)) == (kind, record_id)
        assert kind.item_of({"id": record_id} if record_id else {"name": "x"}) == kind.item(
            record_id
        )
    # An event id cannot hold ":" (the *id* grammar), so no event is taken for a resource.
    assert RESOURCE.item("x") == "resource:x" and kind_of("resource:x")[0] is RESOURCE
    assert kind_of(PROFILE)[0] is SPACE
    with pytest.raises(ValueError):
        kind_of("other:x")


# -- publishing ------------------------------------------------------------------------------


def test_a_room_photo_is_published_with_the_resource_and_kept_by_an_edit(
    space: SpaceNode,
) -> None:
    add_room(space)
    assert add_photo(space, jpeg(), alt="The long table", item=ITEM) == 1
    (photo,) = room(space)["photos"]
    assert photo["alt"] == "The long table"
    assert {r.hash for r in refs(space, space.id)} == {f["hash"] for f in photo["files"]}
    with space.node.db.write() as session:
        resources.update_resource(session, space.node, "sala", {"capacity": 10})
    assert room(space)["photos"] == [photo] and room(space)["capacity"] == 10
    with space.node.db.read() as session:
        assert service.listing(session, space.node, ITEM)[0]["alt"] == "The long table"
    answer = space.client.get("/api/v1/resources/sala", headers=space.auth())
    assert answer.status_code == 200 and answer.json["photos"] == [photo]
    with space.node.db.write() as session:
        service.remove(session, space.node, ITEM, "1")
    assert "photos" not in room(space) and refs(space, space.id) == []


def test_removing_the_resource_drops_its_refs_and_refuses_new_photos(space: SpaceNode) -> None:
    add_room(space)
    add_photo(space, jpeg(600, 400), item=ITEM)
    add_event(space, "sala")  # an event with the same id keeps its own record
    add_photo(space, jpeg(500, 300, color="green"), item="sala")
    with space.node.db.write() as session:
        resources.remove_resource(session, space.node, "sala")
    assert refs(space, space.id) == []
    event_refs = refs(space, space.id, "sala")  # the event's photo is untouched
    assert event_refs and {r.photo for r in event_refs} == {0}
    with space.node.db.read() as session:
        own = session.scalars(select(PhotoFile)).all()
        assert all(row.own and row.stored for row in own)  # our own files stay
    before = space.counts()
    for action in ("add", "remove"):
        with pytest.raises(NodeError) as refused:
            if action == "add":
                add_photo(space, jpeg(300, 200), item=ITEM)
            else:
                with space.node.db.write() as session:
                    service.remove(session, space.node, ITEM, "1")
        assert refused.value.reason == "resource-removed" and refused.value.status == 409
    with pytest.raises(NodeError) as unknown:
        add_photo(space, jpeg(300, 200), item=RESOURCE.item("nope"))
    assert unknown.value.reason == "unknown-resource" and unknown.value.status == 404
    assert space.counts() == before


def test_a_room_has_at_most_eight_photos(space: SpaceNode) -> None:
    add_room(space)
    for shade in range(8):
        add_photo(space, jpeg(100, 100, color=(shade * 30, 0, 0)), item=ITEM)
    before = space.counts()
    with pytest.raises(NodeError) as refused:
        add_photo(space, jpeg(100, 100, color="blue"), item=ITEM)
    assert refused.value.reason == "too-many-photos"
    assert space.counts() == before and len(room(space)["photos"]) == 8


# -- pages -------------------------------------------------------------------------------------


def test_the_space_page_shows_each_rooms_photos_lazily_with_srcset_and_alt(
    space: SpaceNode,
) -> None:
    add_room(space)
    add_room(space, "desk", "Hot desk")
    add_photo(space, jpeg(), alt='Table <for> "eight"', item=ITEM)
    html = space.client.get("/").get_data(as_text=True)
    (photo,) = room(space)["photos"]
    first, _, widest = photo["files"]
    assert f'srcset="/photos/{first["hash"]} 480w, ' in html
    assert f"/photos/{widest['hash']} 1600w" in html
    assert 'alt="Table &lt;for&gt; &#34;eight&#34;"' in html
    assert 'aria-label="Photos of Sala Blu"' in html and "Photos of Hot desk" not in html
    assert html.count('loading="lazy"') == 1  # the room's photo, below the fold
    assert "og:image" not in html  # the space's own cover is its profile's photo


def test_the_admin_uploads_and_removes_a_room_photo_on_the_web(space: SpaceNode) -> None:
    add_room(space)
    client = logged_in_admin(space)
    dashboard = client.get("/admin").get_data(as_text=True)
    assert 'href="/admin/photos/resources/sala"' in dashboard
    page = client.get("/admin/photos/resources/sala").get_data(as_text=True)
    assert "Sala Blu" in page and 'action="/admin/photos/resources/sala"' in page
    token = csrf_token(client, "/admin/photos/resources/sala")
    answer = client.post(
        "/admin/photos/resources/sala",
        data={"csrf_token": token, "alt": "Whiteboard", "photo": (io.BytesIO(jpeg()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/admin/photos/resources/sala")
    assert room(space)["photos"][0]["alt"] == "Whiteboard"
    before = space.counts()
    refused = client.post(
        "/admin/photos/resources/sala",
        data={"alt": "x", "photo": (io.BytesIO(jpeg()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and space.counts() == before
    bad = client.post(
        "/admin/photos/resources/sala",
        data={"csrf_token": token, "photo": (io.BytesIO(b"%PDF-1.4"), "cv.pdf")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "JPEG, PNG or WebP" in bad.get_data(as_text=True)
    assert space.counts() == before
    assert client.get("/admin/photos/resources/nope").status_code == 404
    digest = room(space)["photos"][0]["files"][-1]["hash"]
    gone = client.post(f"/admin/photos/resources/sala/{digest}/remove", data={"csrf_token": token})
    assert gone.status_code == 302 and "photos" not in room(space)


def test_the_cli_adds_lists_and_removes_room_photos(
    space: SpaceNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if space.node.settings["database_url"].startswith("postgresql"):
        pytest.skip("the CLI opens the data dir's own settings")
    data_dir = str(space.data_dir)
    add_room(space)
    picture = tmp_path / "room.jpg"
    picture.write_bytes(jpeg())
    code, out, _ = run(
        capsys,
        *("--data-dir", data_dir, "resource", "photo", "add", "sala", str(picture)),
        *("--alt", "Chairs"),
    )
    assert code == 0 and "added photo 1" in out
    code, out, _ = run(capsys, "--data-dir", data_dir, "resource", "photo", "list", "sala")
    assert code == 0 and "Chairs" in out
    before = space.counts()
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    for argv in (
        ("resource", "photo", "add", "sala", str(text)),
        ("resource", "photo", "add", "nope", str(picture)),
        ("resource", "photo", "list", "nope"),
        ("resource", "photo", "remove", "sala", "9"),
    ):
        code, out, err = run(capsys, "--data-dir", data_dir, *argv)
        assert code != 0 and out == ""
        assert err.count("\n") == 1 and err.startswith("spazi: error:"), err
        assert "Traceback" not in err
    assert space.counts() == before
    code, out, _ = run(capsys, "--data-dir", data_dir, "resource", "photo", "remove", "sala", "1")
    assert code == 0 and "photos" not in room(space)


# -- peers -------------------------------------------------------------------------------------


def test_a_peer_shows_a_room_photo_once_fetched_and_forgets_it_when_the_room_goes(
    tmp_path: Path, clock: FakeClock
) -> None:
    net = Network(tmp_path, clock)
    try:
        net.chain("ab")
        a, b = net["a"], net["b"]
        add_room(a)
        add_photo(a, jpeg(), alt="A's meeting room", item=ITEM)
        net.settle()
        wanted = {f["hash"] for f in room(a)["photos"][0]["files"]}
        assert {r.hash for r in refs(b, a.id)} == wanted
        with b.node.db.read() as session:
            assert shown(session, [(a.id, ITEM)]) == {}  # named, not yet fetched: not shown
        report = fetching.fetch_due(b.node)
        assert set(report.stored) == wanted and not report.refused
        with b.node.db.read() as session:
            (photo,) = shown(session, [(a.id, ITEM)])[(a.id, ITEM)]
        assert photo.alt == "A's meeting room"
        assert {f.hash for f in photo.files} == wanted
        for digest in wanted:  # checked bytes, served by B too
            assert sha256_hex(b.client.get(f"/photos/{digest}").data) == digest
        with a.node.db.write() as session:
            resources.remove_resource(session, a.node, "sala")
        net.settle()
        assert refs(b, a.id) == []  # unreferenced on B: its cached copies may be evicted
        with b.node.db.read() as session:
            assert shown(session, [(a.id, ITEM)]) == {}
        assert all(files.read(b.node, digest) is not None for digest in wanted)
    finally:
        net.close()


def test_the_room_photos_page_and_flash_are_in_italian(space: SpaceNode) -> None:
    add_room(space)
    client = logged_in_admin(space)
    page = client.get("/admin/photos/resources/sala?lang=it").get_data(as_text=True)
    assert "Foto di «Sala Blu»" in page and "postazione o sala" in page
    token = csrf_token(client, "/admin/photos/resources/sala")
    answer = client.post(
        "/admin/photos/resources/sala",
        data={"csrf_token": token, "photo": (io.BytesIO(jpeg(300, 200)), "a.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Foto 1 aggiunta alla postazione o sala e pubblicata." in answer.get_data(as_text=True)
    home = client.get("/?lang=it").get_data(as_text=True)
    assert 'aria-label="Foto di Sala Blu"' in home
