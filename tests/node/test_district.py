"""The space profile's ``district`` (protocol.md §Entry types) at every input surface: the body
schema, the JSON API, ``spazi space set`` and ``spazi init``, and the admin form each take a
good one and refuse a bad one (empty, too long, a control character) with a clear error, and a
refusal changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from federation.errors import BodyError
from federation.version import validate_body
from node.cli import main
from tests.federation.builders import example_bodies
from tests.node.test_admin_pages import PROFILE_FORM, field_errors, logged_in_admin, post_form
from tests.support import SpaceNode

BAD_DISTRICTS = ["", "x" * 101, "San\u0000Salvario", "San\nSalvario", "San\u001bSalvario"]


def _profile(space: SpaceNode) -> dict:
    return space.client.get("/api/v1/space").get_json()


def test_the_body_schema_takes_a_district_and_refuses_a_bad_one() -> None:
    body = example_bodies()["space.profile"]
    validate_body("space.profile", {**body, "district": "Centro storico · Porta Nuova"})
    validate_body("space.profile", {**body, "district": "x" * 100})
    for bad in [*BAD_DISTRICTS, 7, None, ["Centro"]]:
        with pytest.raises(BodyError):
            validate_body("space.profile", {**body, "district": bad})


def test_the_api_sets_and_removes_a_district(space: SpaceNode) -> None:
    response = space.client.patch(
        "/api/v1/space", json={"district": "San Salvario"}, headers=space.auth()
    )
    assert response.status_code == 200, response.data
    assert _profile(space)["district"] == "San Salvario"
    assert (
        space.client.patch(
            "/api/v1/space", json={"district": None}, headers=space.auth()
        ).status_code
        == 200
    )
    assert "district" not in _profile(space)


@pytest.mark.parametrize("bad", BAD_DISTRICTS)
def test_the_api_refuses_a_bad_district_and_changes_nothing(space: SpaceNode, bad: str) -> None:
    before = space.counts()
    response = space.client.patch("/api/v1/space", json={"district": bad}, headers=space.auth())
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "district" in str(response.get_json())
    assert space.counts() == before


def test_the_cli_sets_a_district(space: SpaceNode, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--data-dir", str(space.data_dir), "space", "set", "--district", "Sampierdarena"])
    assert code == 0, capsys.readouterr()
    assert _profile(space)["district"] == "Sampierdarena"
    assert main(["--data-dir", str(space.data_dir), "space", "set", "--unset", "district"]) == 0
    assert "district" not in _profile(space)


@pytest.mark.parametrize("bad", BAD_DISTRICTS)
def test_the_cli_refuses_a_bad_district_in_one_line(
    space: SpaceNode, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    before = space.counts()
    capsys.readouterr()
    code = main(["--data-dir", str(space.data_dir), "space", "set", "--district", bad])
    out, err = capsys.readouterr()
    assert code != 0
    assert err.count("\n") == 1 and "district" in err and "Traceback" not in err
    assert "\u001b" not in out + err
    assert space.counts() == before


def test_init_takes_a_district(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "node"
    argv = ["init", str(target), "--name", "Porto", "--url", "http://porto.test"]
    assert main([*argv, "--city", "Genova", "--district", "Molo"]) == 0, capsys.readouterr()
    assert main(["--data-dir", str(target), "space", "show"]) == 0
    assert '"district": "Molo"' in capsys.readouterr().out


def test_init_refuses_a_bad_district(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "node"
    argv = ["init", str(target), "--name", "Porto", "--url", "http://porto.test"]
    assert main([*argv, "--district", "x" * 101]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "district" in err
    assert not (target / "spazi.toml").exists()


def test_the_admin_form_sets_clears_and_refuses_a_district(space: SpaceNode) -> None:
    logged_in_admin(space)
    response = post_form(space, "/admin/profile", {**PROFILE_FORM, "district": "Clerkenwell"})
    assert response.status_code == 302, response.data
    assert _profile(space)["district"] == "Clerkenwell"
    page = space.client.get("/admin/profile").get_data(as_text=True)
    assert 'name="district" type="text" value="Clerkenwell"' in page
    before = space.counts()
    for bad in ("x" * 101, "Clerken\u0000well"):
        response = post_form(space, "/admin/profile", {**PROFILE_FORM, "district": bad})
        assert response.status_code == 422
        assert "district" in field_errors(response)
        assert space.counts() == before
    response = post_form(space, "/admin/profile", {**PROFILE_FORM, "district": ""})
    assert response.status_code == 302
    assert "district" not in _profile(space)
