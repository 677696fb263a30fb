"""Features plug in through their records; the registries cover the protocol, once each."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from federation.registry import Registry
from federation.version import V1
from node import features
from node.app import NotReady, create_app
from node.projection import Projector
from tests.support import make_node


def test_every_entry_type_has_exactly_one_projector() -> None:
    assert set(features.projectors()) == set(V1.entry_types)
    assert features.check(V1) == []


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
