"""Features plug in through their records; the registries cover the protocol, once each."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from federation.registry import Registry
from federation.version import V1
from node import features
from node.app import NotReady, create_app
from node.projection import Projector
from node.startup import declared_problems, registry_problems
from tests.support import make_node


def test_every_entry_type_has_exactly_one_projector() -> None:
    assert set(features.projectors()) == set(V1.entry_types)
    assert features.check(V1) == []


def test_each_feature_declares_exactly_what_its_code_registers() -> None:
    """The CLI's start-up check reads the declarations alone (node/startup.py); they must say
    what the projectors and inbox functions really register, feature by feature."""
    from node.network.handlers import InboxHandlers

    for feature in features.FEATURES:
        projected = features.resolve(feature.projectors) if feature.projectors else ()
        assert sorted(p.entry_type for p in projected) == sorted(feature.entry_types), feature.name
        scratch = InboxHandlers()
        if feature.inbox:
            features.resolve(feature.inbox)(scratch)
        covered = scratch.handled() | scratch.refused().keys()
        assert sorted(covered) == sorted(feature.messages), feature.name
    assert declared_problems() == []
    assert registry_problems() == []


def test_the_declarations_alone_find_a_kind_nobody_covers(monkeypatch: pytest.MonkeyPatch) -> None:
    no_bookings = dataclasses.replace(features.BOOKINGS, messages=())
    twice = features.Feature("twice", entry_types=("event.put", "notice.put"))
    kept = tuple(f for f in features.FEATURES if f is not features.BOOKINGS)
    monkeypatch.setattr(features, "FEATURES", (*kept, no_bookings, twice))
    assert declared_problems() == [
        "twice declare notice.put, which protocol v1 does not have as an entry type",
        "entry type event.put is declared by core and twice",
        "message type booking.notice has no handler and no refusal",
    ]


def test_a_declaration_that_differs_from_the_code_stops_the_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record that declares a kind its code does not register (or the reverse) passes the
    CLI's quick check but not the full one, so `spazi run` refuses to start."""
    node = make_node(tmp_path)
    node.close()
    swapped = (
        dataclasses.replace(features.PROJECTS, entry_types=("project.put",)),
        dataclasses.replace(features.PEOPLE, entry_types=("profile.put", "profile.withdraw",
                                                          "project.close")),
        dataclasses.replace(features.BOOKINGS, messages=()),
        dataclasses.replace(features.TWINNING, messages=(*features.TWINNING.messages,
                                                         "booking.notice")),
    )  # fmt: skip
    names = {f.name for f in swapped}
    kept = tuple(f for f in features.FEATURES if f.name not in names)
    monkeypatch.setattr(features, "FEATURES", (*kept, *swapped))
    features.projectors.cache_clear()
    try:
        assert declared_problems() == []  # every kind declared once: the quick check passes
        problems = registry_problems()
        with pytest.raises(NotReady, match=r"project\.close, which its entry_types does not"):
            create_app({"data_dir": str(node.data_dir), "TESTING": True})
    finally:
        features.projectors.cache_clear()
    assert problems == [
        "feature projects registers project.close, which its entry_types does not declare",
        "feature people declares project.close in entry_types, which its code does not register",
        "feature bookings registers booking.notice, which its messages does not declare",
        "feature twinning declares booking.notice in messages, which its code does not register",
    ]


def test_every_part_a_feature_names_resolves() -> None:
    for feature in features.FEATURES:
        for part in ("projectors", "inbox", "jobs", "watchers"):
            reference = getattr(feature, part)
            if reference:
                assert features.resolve(reference) is not None, (feature.name, part)
        for module in feature.web:
            assert callable(features.resolve(f"{module}:init_app"))
        for module in feature.cli:
            assert callable(features.resolve(f"{module}:register"))


def test_a_kind_registered_twice_or_after_freezing_is_refused() -> None:
    registry = Registry("projector")
    registry.register("event.put", object())
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("event.put", object())
    frozen = registry.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        registry.register("event.cancel", object())
    with pytest.raises(TypeError):
        frozen["x"] = 1  # type: ignore[index]


def test_two_features_projecting_one_type_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    twice = dataclasses.replace(features.CORE, name="copy", web=(), cli={})
    monkeypatch.setattr(features, "FEATURES", (*features.FEATURES, twice))
    features.projectors.cache_clear()
    try:
        with pytest.raises(ValueError, match="registered twice"):
            features.projectors()
    finally:
        features.projectors.cache_clear()


def test_a_watcher_registered_by_two_features_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert [w.name for w in features.watchers()] == ["photo-refs"]
    twice = dataclasses.replace(features.PHOTOS, name="copy", web=(), models="")
    monkeypatch.setattr(features, "FEATURES", (*features.FEATURES, twice))
    features.watchers.cache_clear()
    try:
        with pytest.raises(ValueError, match="registered twice"):
            features.watchers()
    finally:
        features.watchers.cache_clear()


def test_a_command_named_by_two_features_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    clash = features.Feature("clash", cli={"node.cli.admin_cmds": ("event",)})
    monkeypatch.setattr(features, "FEATURES", (*features.FEATURES, clash))
    with pytest.raises(ValueError, match="'event' is registered twice"):
        features.cli_commands()


LONE_PROJECTORS = (Projector("space.profile", lambda page, entry: None, lambda s, o: None),)


def test_the_node_refuses_to_start_when_an_entry_type_has_no_projector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = make_node(tmp_path)
    node.close()
    data_dir = node.data_dir
    lone = features.Feature("lone", projectors=f"{__name__}:LONE_PROJECTORS")
    monkeypatch.setattr(features, "FEATURES", (lone,))
    features.projectors.cache_clear()
    try:
        with pytest.raises(NotReady, match=r"entry type event\.put has no projector"):
            create_app({"data_dir": str(data_dir), "TESTING": True})
    finally:
        features.projectors.cache_clear()


def test_the_cli_refuses_to_open_the_node_when_an_entry_type_has_no_projector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from node.cli.main import main

    node = make_node(tmp_path)
    node.close()
    lone = features.Feature("lone", projectors=f"{__name__}:LONE_PROJECTORS")
    monkeypatch.setattr(features, "FEATURES", (lone,))
    features.projectors.cache_clear()
    try:
        code = main(["--data-dir", str(node.data_dir), "feed", "verify"])
    finally:
        features.projectors.cache_clear()
    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1 and "event.put has no projector" in err


def test_a_command_that_only_reads_opens_the_node_without_the_registry_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Lists and shows (``reads_only``) store no entry and answer no message: they skip the
    check, which imports every feature's code (node/cli/main.py)."""
    from node.cli.main import main

    node = make_node(tmp_path)
    node.close()
    lone = features.Feature("lone", projectors=f"{__name__}:LONE_PROJECTORS")
    monkeypatch.setattr(features, "FEATURES", (lone,))
    features.projectors.cache_clear()
    try:
        code = main(["--data-dir", str(node.data_dir), "event", "list", "--json"])
    finally:
        features.projectors.cache_clear()
    assert code == 0, capsys.readouterr().err
    assert capsys.readouterr().out.strip() == "[]"


def test_the_cli_refuses_to_open_the_node_when_a_message_type_is_not_declared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from node.cli.main import main

    node = make_node(tmp_path)
    node.close()
    no_bookings = dataclasses.replace(features.BOOKINGS, messages=())
    kept = tuple(f for f in features.FEATURES if f is not features.BOOKINGS)
    monkeypatch.setattr(features, "FEATURES", (*kept, no_bookings))
    code = main(["--data-dir", str(node.data_dir), "sync"])
    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1 and "message type booking.notice has no handler" in err


def test_spazi_worker_runs_the_full_check(tmp_path: Path) -> None:
    """The worker lives for days: it builds the registries and compares them with the
    declarations before it opens the node (the quick check alone would pass here)."""
    node = make_node(tmp_path)
    node.close()
    code = (
        "import dataclasses, sys\n"
        "from node import features\n"
        "from node.cli.main import main\n"
        "def swap(f):\n"
        "    if f.name == 'bookings':\n"
        "        return dataclasses.replace(f, messages=())\n"
        "    if f.name == 'twinning':\n"
        "        return dataclasses.replace(f, messages=(*f.messages, 'booking.notice'))\n"
        "    return f\n"
        "features.FEATURES = tuple(swap(f) for f in features.FEATURES)\n"
        f"sys.exit(main(['--data-dir', {str(node.data_dir)!r}, 'worker']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "feature bookings registers booking.notice" in done.stderr
    assert "worker running" not in done.stderr
