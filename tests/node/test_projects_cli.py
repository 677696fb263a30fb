"""``spazi project add|list|update|close|answers|reply``: each command through ``main`` on a real
node; a refusal is one line and a non-zero exit, and leaves the node as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.cli import main
from tests.support import SpaceNode, make_node


@pytest.fixture
def space(tmp_path: Path) -> Iterator[SpaceNode]:
    test_node = make_node(tmp_path, timezone="Europe/Rome")
    yield test_node
    test_node.close()


def run(capsys: pytest.CaptureFixture[str], space: SpaceNode, *argv: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(space.data_dir), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_post_list_update_close(space: SpaceNode, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, space, "project", "add", "--id", "libro", "--title", "Illustrators wanted",
        "--skills", "illustration, Illustration, print", "--city", "Fano", "--remote",
        "--deadline", "2099-01-31",
    )  # fmt: skip
    assert code == 0 and "posted call libro (answers until 2099-01-31)" in out
    code, out, _ = run(capsys, space, "project", "list", "--json")
    (view,) = json.loads(out)
    assert view["skills"] == ["illustration", "print"]  # a skill once, as first typed
    assert view["remote"] is True and view["open"] is True
    code, out, _ = run(
        capsys, space, "project", "update", "libro", "--no-remote", "--city", "Pesaro"
    )
    assert code == 0
    (view,) = json.loads(run(capsys, space, "project", "list", "--json")[1])
    assert (
        view["remote"] is False
        and view["city"] == "Pesaro"
        and view["title"] == "Illustrators wanted"
    )
    assert run(capsys, space, "project", "close", "libro", "--reason", "Found")[0] == 0
    assert json.loads(run(capsys, space, "project", "list", "--json")[1]) == []
    (view,) = json.loads(run(capsys, space, "project", "list", "--closed", "--json")[1])
    assert view["closed"] is True and view["close_reason"] == "Found"
    code, out, _ = run(capsys, space, "project", "answers", "libro")
    assert code == 0 and "no answers yet" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "--title", "Late", "--deadline", "2020-01-01"], "2020-01-01 has passed"),
        (["add", "--title", "Bad day", "--deadline", "2099-02-30"], "deadline: Not a valid date"),
        (["add", "--title", "x" * 201, "--deadline", "2099-01-01"], "title:"),
        (["add", "--title", "Ring\u0007", "--deadline", "2099-01-01"], "title:"),
        (["update", "nothing-here", "--title", "New"], "no call 'nothing-here'"),
        (["close", "nothing-here"], "no call 'nothing-here'"),
        (["answers", "nothing-here"], "no call 'nothing-here'"),
        (["reply", "7", "--message", "Hello"], "no answer 7"),
        (["reply", "7", "--message", ""], "message:"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    space: SpaceNode, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = space.counts()
    code, out, err = run(capsys, space, "project", *argv)
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert "Traceback" not in err
    assert space.counts() == before


def test_a_closed_call_cannot_change_or_close_again(
    space: SpaceNode, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, space, "project", "add", "--id", "c1", "--title", "T", "--deadline", "2099-01-01")
    run(capsys, space, "project", "close", "c1")
    before = space.counts()
    for argv in (["close", "c1"], ["update", "c1", "--title", "Again"]):
        code, _, err = run(capsys, space, "project", *argv)
        assert code == 1 and ("is already closed" in err or "is closed" in err), err
    assert space.counts() == before
