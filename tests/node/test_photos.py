"""Photos of the space and its events (ARCHITECTURE.md §Photos): made from uploads without
metadata, published, served, fetched by peers with their hash checked, cached within a budget."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from federation.encoding import sha256_hex
from node.cli import main
from node.errors import InvalidInput, NodeError
from node.photos import fetching, files, images, service
from node.photos.models import PhotoFile, PhotoRef
from node.photos.refs import PROFILE
from node.services import events
from tests.network import Network
from tests.node.test_admin_pages import csrf_token, logged_in_admin
from tests.support import FakeClock, SpaceNode

CAMERA = "SecretCam 3000"


def jpeg(width: int = 2000, height: int = 1000, orientation: int = 0, color: Any = "red") -> bytes:
    """A camera-like JPEG: its maker and GPS position in EXIF, optionally an orientation."""
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x8825] = {1: "N", 2: (45.0, 28.0, 0.0), 3: "E", 4: (9.0, 11.0, 0.0)}  # GPS
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"shot at home")
    return out.getvalue()


def png_with_alpha(width: int = 300, height: int = 200) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 255, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def add_photo(
    space: SpaceNode, data: bytes, alt: str = "The main room", item: str = PROFILE
) -> int:
    made = service.make(space.node, data, alt)
    with space.node.db.write() as session:
        return service.add(session, space.node, item, made)


def profile(space: SpaceNode) -> dict[str, Any]:
    from node.services.space import get_profile

    with space.node.db.read() as session:
        return get_profile(session, space.id)


def add_event(space: SpaceNode, event_id: str = "ev-1") -> None:
    with space.node.db.write() as session:
        events.add_event(
            session,
            space.node,
            {
                "id": event_id,
                "title": "Breakfast",
                "start": "2031-01-15T09:00",
                "end": "2031-01-15T10:00",
            },
        )


# -- making the files ------------------------------------------------------------------------


def test_an_upload_loses_its_metadata_is_turned_upright_and_scaled() -> None:
    made = images.encode(jpeg(2000, 1000, orientation=6), 10**8)
    # Orientation 6 is a portrait taken sideways: upright, it is 1000 wide and 2000 tall.
    assert [(m.width, m.height) for m in made] == [(480, 960), (960, 1920), (1000, 2000)]
    for item in made:
        assert item.data.startswith(b"\xff\xd8\xff")
        assert b"Exif" not in item.data and CAMERA.encode() not in item.data
        assert b"shot at home" not in item.data
        with Image.open(io.BytesIO(item.data)) as reread:
            assert not reread.getexif()
            assert "icc_profile" not in reread.info and "exif" not in reread.info
    wide = images.encode(jpeg(4000, 3000), 10**8)
    assert [m.width for m in wide] == [480, 960, 1600]  # never more than the widest


def test_small_images_are_not_scaled_up_and_transparency_becomes_white() -> None:
    made = images.encode(png_with_alpha(300, 200), 10**8)
    assert [(m.width, m.height) for m in made] == [(300, 200)]
    with Image.open(io.BytesIO(made[0].data)) as reread:
        assert reread.format == "JPEG"
        red, green, blue = reread.getpixel((10, 10))
        assert min(red, green, blue) > 240  # white, not the transparent blue


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"not an image at all",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b"%PDF-1.4 a document",
        jpeg()[:200],  # cut short
    ],
)
def test_what_is_not_a_jpeg_png_or_webp_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        images.encode(data, 10**8)
    assert refused.value.reason == "not-an-image"


def test_gif_and_other_formats_are_not_decoded_at_all() -> None:
    with pytest.raises(InvalidInput, match="JPEG, PNG or WebP"):
        images.encode(_gif(), 10**8)


def test_decompression_bombs_and_large_files_are_refused_before_decoding() -> None:
    # A PNG whose header claims 20000 × 20000 pixels, in a few hundred bytes.
    image = Image.new("1", (20_000, 20_000))
    out = io.BytesIO()
    image.save(out, "PNG")
    bomb = out.getvalue()
    assert len(bomb) < 200_000
    with pytest.raises(images.TooLarge, match="pixels"):
        images.encode(bomb, 10**8)
    with pytest.raises(images.TooLarge, match="MB"):
        images.encode(jpeg(), 1000)


# -- publishing ------------------------------------------------------------------------------


def test_a_photo_is_published_with_the_profile_and_removed_by_a_new_profile(
    space: SpaceNode,
) -> None:
    number = add_photo(space, jpeg(), alt="Desks by the window")
    assert number == 1
    body = profile(space)
    (photo,) = body["photos"]
    assert photo["alt"] == "Desks by the window"
    assert [f["width"] for f in photo["files"]] == [480, 960, 1600]
    for f in photo["files"]:
        data = files.read(space.node, f["hash"])
        assert data is not None and sha256_hex(data) == f["hash"] and len(data) == f["size"]
    with space.node.db.read() as session:
        refs = session.scalars(select(PhotoRef).where(PhotoRef.origin == space.id)).all()
        assert {r.hash for r in refs} == {f["hash"] for f in photo["files"]}
        own = session.scalars(select(PhotoFile)).all()
        assert all(row.own and row.stored for row in own) and len(own) == 3
    # Editing the profile elsewhere keeps the photos (the change is merged).
    from node.services.space import update_profile

    with space.node.db.write() as session:
        update_profile(session, space.node, {"city": "Milano"})
    assert profile(space)["photos"] == [photo]
    with space.node.db.write() as session:
        service.remove(session, space.node, PROFILE, photo["files"][0]["hash"][:10])
    assert "photos" not in profile(space)
    with space.node.db.read() as session:
        assert session.scalars(select(PhotoRef)).all() == []
        assert len(session.scalars(select(PhotoFile)).all()) == 3  # our own files stay


def test_event_photos_and_their_refusals(space: SpaceNode) -> None:
    add_event(space)
    assert add_photo(space, jpeg(800, 600), item="ev-1") == 1
    with space.node.db.read() as session:
        assert len(events.get_event(session, space.id, "ev-1").body["photos"]) == 1
    with pytest.raises(NodeError) as unknown:
        add_photo(space, jpeg(), item="no-such-event")
    assert unknown.value.reason == "unknown-event"
    before = space.counts()
    with pytest.raises(NodeError) as refused, space.node.db.write() as session:
        service.remove(session, space.node, "ev-1", "7")
    assert refused.value.reason == "unknown-photo"
    with space.node.db.write() as session:
        events.cancel_event(session, space.node, "ev-1")
    after_cancel = space.counts()
    with pytest.raises(NodeError) as cancelled:
        add_photo(space, jpeg(), item="ev-1")
    assert cancelled.value.reason == "already-cancelled"
    assert space.counts() == after_cancel
    assert before["head"] != after_cancel["head"]


def test_at_most_eight_photos(space: SpaceNode) -> None:
    for shade in range(8):
        add_photo(space, jpeg(100, 100, color=(shade * 30, 0, 0)))
    before = space.counts()
    with pytest.raises(InvalidInput, match="remove one first"):
        add_photo(space, jpeg(100, 100, color="blue"))
    assert space.counts() == before


# -- serving ---------------------------------------------------------------------------------


def test_photo_files_are_served_immutable_with_their_type(space: SpaceNode) -> None:
    add_photo(space, jpeg())
    digest = profile(space)["photos"][0]["files"][0]["hash"]
    for path in (f"/photos/{digest}", f"/federation/v1/photos/{digest}"):
        answer = space.client.get(path)
        assert answer.status_code == 200
        assert answer.mimetype == "image/jpeg"
        assert sha256_hex(answer.data) == digest
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        again = space.client.get(path, headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304
    missing = space.client.get("/federation/v1/photos/" + "0" * 64)
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    assert missing.json["type"].endswith("unknown-photo")
    assert space.client.get("/federation/v1/photos/../../spazi.toml").status_code == 404
    assert space.client.get("/federation/v1/photos/" + "A" * 64).status_code == 400


def test_the_space_and_event_pages_show_photos_with_srcset_alt_and_og_image(
    space: SpaceNode,
) -> None:
    assert "og:image" not in space.client.get("/").get_data(as_text=True)
    add_photo(space, jpeg(), alt='The "big" room <b>')
    add_photo(space, jpeg(600, 400, color="green"), alt="Second")
    html = space.client.get("/").get_data(as_text=True)
    photo = profile(space)["photos"][0]
    first, _, widest = photo["files"]
    assert f'srcset="/photos/{first["hash"]} 480w, ' in html
    assert f"/photos/{widest['hash']} 1600w" in html
    assert 'alt="The &#34;big&#34; room &lt;b&gt;"' in html
    assert html.count('loading="lazy"') == 1  # the first photo loads at once
    assert f'<meta property="og:image" content="http://a.test/photos/{widest["hash"]}">' in html
    add_event(space)
    add_photo(space, jpeg(800, 600), alt="Coffee and croissants", item="ev-1")
    page = space.client.get("/events/ev-1").get_data(as_text=True)
    assert 'alt="Coffee and croissants"' in page and "og:image" in page


# -- the admin page and the CLI ----------------------------------------------------------------


def test_the_admin_uploads_and_removes_a_photo_on_the_web(space: SpaceNode) -> None:
    client = logged_in_admin(space)
    token = csrf_token(client, "/admin/photos")
    answer = client.post(
        "/admin/photos",
        data={"csrf_token": token, "alt": "Reception", "photo": (io.BytesIO(jpeg()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    assert profile(space)["photos"][0]["alt"] == "Reception"
    # Without the CSRF token nothing happens.
    before = space.counts()
    refused = client.post(
        "/admin/photos",
        data={"alt": "x", "photo": (io.BytesIO(jpeg()), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and space.counts() == before
    # A file that is not an image: the form again with the reason beside the field.
    bad = client.post(
        "/admin/photos",
        data={"csrf_token": token, "alt": "", "photo": (io.BytesIO(b"%PDF-1.4"), "cv.pdf")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "JPEG, PNG or WebP" in bad.get_data(as_text=True)
    assert space.counts() == before
    digest = profile(space)["photos"][0]["files"][-1]["hash"]
    gone = client.post(f"/admin/photos/{digest}/remove", data={"csrf_token": token})
    assert gone.status_code == 302 and "photos" not in profile(space)


def test_an_upload_over_the_limit_gets_a_clear_answer(tmp_path: Path, clock: FakeClock) -> None:
    from tests.support import make_node

    small = make_node(tmp_path, clock=clock, settings={"photo_upload_bytes": 70_000})
    try:
        client = logged_in_admin(small)
        token = csrf_token(client, "/admin/photos")
        before = small.counts()
        for size in (80_000, 500_000):  # over the limit; over the limit and the form's margin
            answer = client.post(
                "/admin/photos",
                data={"csrf_token": token, "photo": (io.BytesIO(b"\xff" * size), "big.jpg")},
                content_type="multipart/form-data",
            )
            assert answer.status_code == 413
            assert "MB" in answer.get_data(as_text=True)
        assert small.counts() == before
    finally:
        small.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_adds_lists_and_removes_photos(
    space: SpaceNode, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if space.node.settings["database_url"].startswith("postgresql"):
        pytest.skip("the CLI opens the data dir's own settings")
    data_dir = str(space.data_dir)
    picture = tmp_path / "room.jpg"
    picture.write_bytes(jpeg())
    code, out, _ = run(
        capsys, "--data-dir", data_dir, "space", "photo", "add", str(picture), "--alt", "The room"
    )
    assert code == 0 and "added photo 1" in out
    code, out, _ = run(capsys, "--data-dir", data_dir, "space", "photo", "list")
    assert "The room" in out
    add_event(space)
    code, out, _ = run(
        capsys, "--data-dir", data_dir, "event", "photo", "add", "ev-1", str(picture)
    )
    assert code == 0 and "--alt" in out
    before = space.counts()
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    for argv in (
        ("space", "photo", "add", str(text)),
        ("space", "photo", "add", str(tmp_path / "missing.jpg")),
        ("event", "photo", "add", "nope", str(picture)),
        ("space", "photo", "remove", "9"),
    ):
        code, out, err = run(capsys, "--data-dir", data_dir, *argv)
        assert code != 0 and out == ""
        assert err.count("\n") == 1 and err.startswith("spazi: error:"), err
        assert "Traceback" not in err
    assert space.counts() == before
    code, out, _ = run(capsys, "--data-dir", data_dir, "space", "photo", "remove", "1")
    assert code == 0 and "photos" not in profile(space)


# -- peers -------------------------------------------------------------------------------------


def _stored(space: SpaceNode) -> set[str]:
    with space.node.db.read() as session:
        return set(session.scalars(select(PhotoFile.hash).where(PhotoFile.stored.is_(True))))


def test_a_peer_fetches_checks_and_shows_a_photo(tmp_path: Path, clock: FakeClock) -> None:
    net = Network(tmp_path, clock)
    try:
        net.chain("ab")
        a, b = net["a"], net["b"]
        add_photo(a, jpeg(), alt="A's room")
        net.settle()
        wanted = {f["hash"] for f in profile(a)["photos"][0]["files"]}
        # Synced but not fetched yet: B's network page shows no photo of A.
        assert "A&#39;s room" not in b.client.get("/network").get_data(as_text=True)
        report = fetching.fetch_due(b.node)
        assert set(report.stored) == wanted and not report.refused
        assert _stored(b) == wanted
        page = b.client.get("/network").get_data(as_text=True)
        assert re.search(r'<img class="cover" src="/photos/[0-9a-f]{64}"', page)
        assert 'alt="A&#39;s room"' in page
        for digest in wanted:  # B serves them too, as a relay
            assert sha256_hex(b.client.get(f"/federation/v1/photos/{digest}").data) == digest
        assert fetching.fetch_due(b.node).stored == []  # nothing more to do
    finally:
        net.close()


def test_bytes_that_do_not_match_are_refused_and_never_shown(
    tmp_path: Path, clock: FakeClock
) -> None:
    net = Network(tmp_path, clock)
    try:
        net.chain("ab")
        a, b = net["a"], net["b"]
        add_photo(a, jpeg(300, 200), alt="Tampered")
        (only,) = profile(a)["photos"][0]["files"]
        # A's file changes on disk after it was signed: every source now serves other bytes.
        path = files.path_of(a.node, only["hash"])
        path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
        net.settle()
        report = fetching.fetch_due(b.node)
        assert report.refused == {only["hash"]: ["http://a.test"]}
        assert report.stored == [] and _stored(b) == set()
        assert files.read(b.node, only["hash"]) is None
        assert "Tampered" not in b.client.get("/network").get_data(as_text=True)
        assert b.client.get(f"/photos/{only['hash']}").status_code == 404
        with b.node.db.read() as session:
            row = session.get(PhotoFile, only["hash"])
            assert row is not None and row.tries == 1 and "refused" in (row.last_error or "")
        # Retried later, a bounded number of times.
        assert fetching.fetch_due(b.node).refused == {}  # not due yet
        for _ in range(fetching.MAX_TRIES + 2):
            clock.advance(3600)
            fetching.fetch_due(b.node)
        with b.node.db.read() as session:
            assert session.get(PhotoFile, only["hash"]).tries == fetching.MAX_TRIES
        assert not fetching.any_due(b.node)
    finally:
        net.close()


def test_the_cache_keeps_to_its_budget_and_never_evicts_what_is_shown(
    tmp_path: Path, clock: FakeClock
) -> None:
    net = Network(tmp_path, clock, {"photo_cache_bytes": 2_097_152})
    try:
        net.chain("ab")
        a, b = net["a"], net["b"]
        noise = Image.effect_noise((1600, 1200), 90).convert("RGB")
        out = io.BytesIO()
        noise.save(out, "JPEG", quality=95)
        add_photo(a, out.getvalue(), alt="Noisy")  # large files: noise does not compress
        net.settle()
        first = fetching.fetch_due(b.node)
        assert first.stored
        used = sum(f["size"] for f in profile(a)["photos"][0]["files"] if f["hash"] in first.stored)
        assert used <= 2_097_152
        # A removes it and publishes another: the old files are unreferenced, so evictable.
        old = set(first.stored)
        with a.node.db.write() as session:
            service.remove(session, a.node, PROFILE, "1")
        noise2 = Image.effect_noise((1600, 1200), 80).convert("RGB")
        out = io.BytesIO()
        noise2.save(out, "JPEG", quality=95)
        add_photo(a, out.getvalue(), alt="Noisy again")
        net.settle()
        second = fetching.fetch_due(b.node)
        assert second.stored and set(second.evicted) <= old and second.evicted
        for digest in second.evicted:
            assert files.read(b.node, digest) is None
        with b.node.db.read() as session:
            assert fetching.cached_bytes(session) <= 2_097_152
        # What does not fit waits; nothing still named was evicted.
        assert not set(second.evicted) & set(second.stored)
        # A's own files are never evicted on A.
        assert old <= _stored(a)
    finally:
        net.close()


def test_blocking_an_origin_forgets_its_refs(tmp_path: Path, clock: FakeClock) -> None:
    from node.network.blocking import block

    net = Network(tmp_path, clock)
    try:
        net.chain("ab")
        a, b = net["a"], net["b"]
        add_photo(a, jpeg(300, 200))
        net.settle()
        with b.node.db.read() as session:
            assert session.scalars(select(PhotoRef).where(PhotoRef.origin == a.id)).all()
        with b.node.db.write() as session:
            block(session, b.node, a.id, "spam")
        with b.node.db.read() as session:
            assert session.scalars(select(PhotoRef).where(PhotoRef.origin == a.id)).all() == []
        assert not fetching.any_due(b.node)
    finally:
        net.close()


def test_a_backup_keeps_the_photo_files(tmp_path: Path, clock: FakeClock) -> None:
    from tests.support import make_node

    space = make_node(tmp_path, clock=clock)
    try:
        add_photo(space, jpeg(600, 400))
        hashes = [f["hash"] for f in profile(space)["photos"][0]["files"]]
        archive = tmp_path / "backup.tar.gz"
        assert main(["--data-dir", str(space.data_dir), "backup", str(archive)]) == 0
    finally:
        space.close()
    restored = tmp_path / "restored"
    assert main(["--data-dir", str(restored), "restore", str(archive)]) == 0
    for digest in hashes:
        data = (restored / "photos" / digest[:2] / digest).read_bytes()
        assert sha256_hex(data) == digest


def test_the_photo_pages_speak_italian(space: SpaceNode) -> None:
    client = logged_in_admin(space)
    page = client.get("/admin/photos?lang=it").get_data(as_text=True)
    assert "Aggiungi una foto" in page and "Carica e pubblica" in page
    assert "Add a photo" not in page
    token = csrf_token(client, "/admin/photos")
    answer = client.post(
        "/admin/photos",
        data={"csrf_token": token, "alt": "Sala", "photo": (io.BytesIO(jpeg(300, 200)), "a.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Foto 1 aggiunta allo spazio e pubblicata." in answer.get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert 'aria-label="Foto dello spazio"' in home


# -- what a review found ---------------------------------------------------------------------


def _shown_alts(space: SpaceNode, keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    from node.photos.refs import shown

    with space.node.db.read() as session:
        return {key: [p.alt for p in photos] for key, photos in shown(session, keys).items()}


def test_a_record_lying_about_anothers_file_hides_only_its_own_photo(
    tmp_path: Path, clock: FakeClock
) -> None:
    net = Network(tmp_path, clock)
    try:
        net.chain("abc")  # b peers with a and with c
        a, b, c = net["a"], net["b"], net["c"]
        add_photo(a, jpeg(300, 200), alt="A's room")
        (real,) = profile(a)["photos"][0]["files"]
        # C names A's file in its own event, with a size of 1 byte and another type.
        add_event(c, "ev-x")
        lie = {**real, "size": 1, "type": "image/png"}
        with c.node.db.write() as session:
            service.add(session, c.node, "ev-x", service.NewPhoto("C's lie", (lie,)))
        net.settle()
        # B learns of the file from C's record alone first (A's profile reaches it later).
        with b.node.db.write() as session:
            session.execute(PhotoRef.__table__.delete().where(PhotoRef.origin == a.id))
        for _ in range(fetching.MAX_TRIES + 1):
            fetching.fetch_due(b.node)
            clock.advance(3600)
        with b.node.db.read() as session:
            row = session.get(PhotoFile, real["hash"])
            assert row is not None and row.stored  # fetched: only the hash must match
            assert (row.size, row.media_type) == (real["size"], real["type"])
        # A publishes its profile again: its photo shows; C's lying record shows none.
        add_photo(a, jpeg(400, 300), alt="A's desk")
        net.settle()
        fetching.fetch_due(b.node)
        alts = _shown_alts(b, [(a.id, PROFILE), (c.id, "ev-x")])
        assert alts == {(a.id, PROFILE): ["A's room", "A's desk"]}
        assert "A&#39;s room" in b.client.get("/network").get_data(as_text=True)
    finally:
        net.close()


def test_a_peers_photo_is_no_longer_served_once_removed_or_blocked(
    tmp_path: Path, clock: FakeClock
) -> None:
    from node.network.blocking import block

    net = Network(tmp_path, clock)
    try:
        net.chain("ab")
        a, b = net["a"], net["b"]
        add_photo(b, jpeg(300, 200), alt="B's own")
        add_photo(a, jpeg(300, 200, color="blue"), alt="First")
        net.settle()
        fetching.fetch_due(b.node)
        (first,) = (f["hash"] for f in profile(a)["photos"][0]["files"])
        assert b.client.get(f"/photos/{first}").status_code == 200
        # A removes it: B no longer serves it, though the cached copy waits for eviction.
        with a.node.db.write() as session:
            service.remove(session, a.node, PROFILE, "1")
        add_photo(a, jpeg(300, 200, color="green"), alt="Second")
        net.settle()
        fetching.fetch_due(b.node)
        assert b.client.get(f"/photos/{first}").status_code == 404
        assert b.client.get(f"/federation/v1/photos/{first}").status_code == 404
        (second,) = (f["hash"] for f in profile(a)["photos"][0]["files"])
        assert b.client.get(f"/photos/{second}").status_code == 200
        # A is blocked: its files' rows go with its refs, and the sweep takes them off disk.
        with b.node.db.write() as session:
            block(session, b.node, a.id, "spam")
        assert b.client.get(f"/photos/{second}").status_code == 404
        with b.node.db.read() as session:
            assert session.get(PhotoFile, second) is None
            assert session.get(PhotoFile, first) is None
        assert fetching.sweep(b.node) == []  # too young: a file is written before its row
        assert set(fetching.sweep(b.node, min_age_s=0)) == {first, second}
        assert files.read(b.node, second) is None and files.read(b.node, first) is None
        # B's own photo stays, on disk and served.
        (own,) = (f["hash"] for f in profile(b)["photos"][0]["files"])
        assert b.client.get(f"/photos/{own}").status_code == 200
    finally:
        net.close()


def test_a_file_waiting_for_room_is_not_due_again_at_once(tmp_path: Path, clock: FakeClock) -> None:
    net = Network(tmp_path, clock, {"photo_cache_bytes": 2_097_152})
    try:
        net.chain("ab")
        a, b = net["a"], net["b"]
        for level in (90, 80):  # noise does not compress: files of about a megabyte
            out = io.BytesIO()
            Image.effect_noise((1600, 1200), level).convert("RGB").save(out, "JPEG", quality=95)
            add_photo(a, out.getvalue(), alt=f"Noise {level}")
        net.settle()
        sizes = [f["size"] for p in profile(a)["photos"] for f in p["files"]]
        assert sum(sizes) > 2_097_152
        report = fetching.fetch_due(b.node)
        # Every stored file is still named, so the first that does not fit waits, the run
        # stops there, and nothing is due until the back-off has passed.
        assert report.stored and report.waiting and not report.evicted
        assert len(report.stored) + len(report.waiting) == len(sizes)
        assert not fetching.any_due(b.node)
        with b.node.db.read() as session:
            for digest in report.waiting:
                row = session.get(PhotoFile, digest)
                assert row is not None and row.tries == 0 and not row.stored
            assert fetching.cached_bytes(session) <= 2_097_152
        clock.advance(fetching.FIRST_RETRY_MS / 1000 + 1)
        assert fetching.any_due(b.node)
    finally:
        net.close()


def test_only_a_logged_in_admin_gets_the_upload_size(space: SpaceNode) -> None:
    """The photo form's larger request limit is for an admin's session: an anonymous client or
    a front-desk login posting a large body to the upload address is refused at the node's
    ordinary limit, before anything parses the form."""
    limit = int(space.node.settings["max_request_bytes"])
    body = {"alt": "x", "photo": (io.BytesIO(b"\xff" * (limit + 10_000)), "big.jpg")}
    anonymous = space.app.test_client()
    answer = anonymous.post("/admin/photos", data=body, content_type="multipart/form-data")
    assert answer.status_code == 413  # before: 400, the CSRF check had parsed the whole body
    # An admin's session gets the photo limit: the same body is read, and refused as no image.
    client = logged_in_admin(space)
    token = csrf_token(client, "/admin/photos")
    body = {"csrf_token": token, "photo": (io.BytesIO(b"\xff" * (limit + 10_000)), "big.jpg")}
    answer = client.post("/admin/photos", data=body, content_type="multipart/form-data")
    assert answer.status_code == 422


def _rgb_profile(primaries: tuple[tuple[float, float, float], ...], gamma: float) -> bytes:
    """A minimal ICC v2 display profile (matrix and gamma curves), e.g. Display P3's primaries
    adapted to D50: what a phone embeds in its photos."""
    import struct

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    name = b"Test P3\0"
    # ASCII name, then empty Unicode and ScriptCode parts (ICC v2 textDescriptionType)
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(name)) + name + b"\0" * 78
    d50 = (0.9642, 1.0, 0.8249)
    tags = [(b"desc", desc), (b"cprt", b"text\0\0\0\0none\0"), (b"wtpt", xyz(*d50))]
    tags += [(sig, xyz(*p)) for sig, p in zip((b"rXYZ", b"gXYZ", b"bXYZ"), primaries, strict=True)]
    tags += [(sig, curve) for sig in (b"rTRC", b"gTRC", b"bTRC")]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
        + b"\0" * 12 + b"acsp" + b"\0" * 24 + struct.pack(">I", 0)
        + s15(d50[0]) + s15(d50[1]) + s15(d50[2]) + b"\0" * 48
    )  # fmt: skip
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


DISPLAY_P3 = ((0.5151, 0.2412, -0.0011), (0.2920, 0.6922, 0.0419), (0.1571, 0.0666, 0.7841))


def _encoded_centre(data: bytes) -> tuple[int, ...]:
    (widest,) = images.encode(data, 10_000_000)[-1:]
    with Image.open(io.BytesIO(widest.data)) as out:
        assert "icc_profile" not in out.info  # the file carries pixels only
        return tuple(out.convert("RGB").getpixel((out.width // 2, out.height // 2)))


def test_a_phones_wide_gamut_colours_are_converted_to_srgb() -> None:
    """A Display P3 green is more vivid than sRGB can say: converted, its green channel rises
    to the edge of sRGB and red and blue fall to nothing; kept as it was (the profile dropped),
    the photo would be shown duller than it is."""
    picture = Image.new("RGB", (600, 400), (40, 180, 40))
    tagged, plain = io.BytesIO(), io.BytesIO()
    picture.save(tagged, "JPEG", quality=95, icc_profile=_rgb_profile(DISPLAY_P3, 2.2))
    picture.save(plain, "JPEG", quality=95)
    r, g, b = _encoded_centre(tagged.getvalue())
    pr, pg, pb = _encoded_centre(plain.getvalue())
    assert abs(pg - 180) <= 3 and abs(pr - 40) <= 3  # no profile: sRGB already, kept
    assert g >= pg + 3 and r <= pr - 20 and b <= pb - 20


def test_a_broken_colour_profile_is_ignored_not_refused() -> None:
    picture = Image.new("RGB", (600, 400), (40, 180, 40))
    broken = io.BytesIO()
    picture.save(broken, "JPEG", quality=95, icc_profile=b"\0" * 200)
    r, g, _b = _encoded_centre(broken.getvalue())
    assert abs(g - 180) <= 3 and abs(r - 40) <= 3
