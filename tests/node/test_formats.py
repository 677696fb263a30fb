"""People's input formats (node.formats): one grammar each, the same on every surface.

The CLI, the admin forms and the JSON API must accept the same things and produce the same body
from them. The surface tests run the real CLI; the property tests drive each surface's own
conversion (``content_cmds.profile_changes``, ``forms.profile_changes``…) and the real API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.bodies import DAYS, RESOURCE_KINDS
from node import formats
from node.cli import content_cmds, main
from node.cli.main import build_parser
from node.cli.output import CliError
from node.errors import InvalidInput
from node.web import forms
from tests.support import SpaceNode, make_node

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_node(tmp_path: Path) -> SpaceNode:
    test_node = make_node(tmp_path)
    yield test_node
    test_node.close()


def spazi(capsys: pytest.CaptureFixture[str], node: SpaceNode, *argv: str) -> tuple[int, str]:
    code = main(["--data-dir", str(node.data_dir), *argv])
    _, err = capsys.readouterr()
    return code, err


def profile(node: SpaceNode) -> dict:
    return node.client.get("/api/v1/space").get_json()


@pytest.mark.parametrize(
    "text",
    [
        "Mon-Fri 7:30-19:00",
        "Mo-Fr 09:00-19:00; Sa 10:00-01:00",
        "Sat,Sun 10:00-16:00",
        "PublicHolidays closed from 2026-12-24 until 2026-12-26",
        "Fri 18:00–02:00",
    ],
)
def test_the_cli_takes_the_hours_the_form_takes(
    cli_node: SpaceNode, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    code, err = spazi(capsys, cli_node, "space", "set", "--hours", text)
    assert code == 0, err
    assert profile(cli_node)["opening_hours"] == form_hours(text)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["space", "set", "--hours", "PH-Mo 10:00-12:00"], "--hours"),
        (["space", "set", "--lat", "91", "--lon", "0"], "--lat: must be between -90 and 90"),
        (["space", "set", "--lat", "nan", "--lon", "0"], "--lat"),
        (["space", "set", "--lat", "1", "--lon", "180.5"], "--lon: must be between -180 and 180"),
        (
            [
                "resource",
                "add",
                "--kind",
                "office",
                "--name",
                "A",
                "--capacity",
                "2",
                "--price-hour",
                "inf",
                "--currency",
                "EUR",
            ],
            "--price-hour",
        ),
        (
            [
                "resource",
                "add",
                "--kind",
                "office",
                "--name",
                "A",
                "--capacity",
                "2",
                "--price-hour",
                "-1",
                "--currency",
                "EUR",
            ],
            "--price-hour",
        ),
    ],
)
def test_the_cli_refuses_bad_input_in_one_line(
    cli_node: SpaceNode, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    head = cli_node.counts()["head"]
    code, err = spazi(capsys, cli_node, *argv)
    assert code != 0
    assert err.startswith("spazi: error: ") and err.count("\n") == 1, err
    assert words in err
    assert cli_node.counts()["head"] == head


def test_the_cli_takes_a_decimal_comma_like_the_form(
    cli_node: SpaceNode, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = spazi(
        capsys,
        cli_node,
        "resource",
        "add",
        "--kind",
        "office",
        "--name",
        "Loft",
        "--capacity",
        "4",
        "--price-hour",
        "12,50",
        "--currency",
        "eur",
    )
    assert code == 0, err
    (room,) = cli_node.client.get("/api/v1/resources").get_json()["resources"]
    assert (room["price_hour_minor"], room["currency"]) == (1250, "EUR")


def test_resource_kinds_are_spelled_only_by_the_protocol() -> None:
    """federation.bodies.RESOURCE_KINDS is the list; no node module keeps a copy of it."""
    copies = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "node").rglob("*.py"))
        if re.search(r"[\"']fixed_desk[\"']", path.read_text("utf-8"))
    ]
    assert copies == []


# -- each surface's own conversion -----------------------------------------------------------------

REFUSED = "refused"


def cli_changes(*argv: str) -> dict[str, Any] | str:
    """What ``spazi <argv>`` would hand the service, or REFUSED (a one-line usage error)."""
    args = build_parser(argv[0]).parse_args(list(argv))
    try:
        if argv[0] == "space":
            return content_cmds.profile_changes(args)
        return content_cmds.resource_data(args)
    except CliError as exc:
        assert exc.code == 2 and "\n" not in str(exc)
        return REFUSED


def form_profile(**fields: str) -> dict[str, Any] | str:
    """What the profile form hands the service, or REFUSED when a typed field was refused."""
    try:
        return forms.profile_changes({"name": "TheCube", "timezone": "UTC", **fields})
    except forms.FormErrors as exc:
        assert set(exc.errors) <= set(fields), exc.errors
        return REFUSED


def form_hours(text: str) -> Any:
    changes = form_profile(opening_hours=text)
    return changes if changes == REFUSED else changes["opening_hours"] or []


def form_resource(**fields: str) -> dict[str, Any] | str:
    base = {"kind": "office", "name": "Loft", "capacity": "2"}
    try:
        return forms.resource_data({**base, **fields})
    except forms.FormErrors as exc:
        assert set(exc.errors) <= set(fields), exc.errors
        return REFUSED


@pytest.fixture(scope="module")
def api_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpaceNode]:
    """One node for many generated examples: each example is one API call."""
    test_node = make_node(tmp_path_factory.mktemp("formats"))
    created = test_node.client.post(
        "/api/v1/resources",
        json={"id": "loft", "kind": "office", "name": "Loft", "capacity": 2},
        headers=test_node.auth(),
    )
    assert created.status_code == 201, created.get_json()
    yield test_node
    test_node.close()


def api(node: SpaceNode, path: str, change: dict[str, Any]) -> dict[str, Any] | str:
    """PATCH ``change`` through the JSON API: the stored body, or REFUSED (a 422 problem)."""
    response = node.client.patch(path, json=change, headers=node.auth())
    if response.status_code == 422:
        assert response.mimetype == "application/problem+json"
        return REFUSED
    assert response.status_code == 200, response.get_json()
    return response.get_json()


PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# -- opening hours ---------------------------------------------------------------------------------

_DAY_WORDS = st.sampled_from(
    ["Mon", "monday", "Mo", "TU", "Wed", "Thursday", "Th", "Fr", "Sat", "Su", "Sunday", "PH",
     "Public holidays", "holidays", "Someday", "Xx"]
)  # fmt: skip
_DAY_EXPR = st.one_of(
    _DAY_WORDS,
    st.builds(lambda a, b: f"{a}-{b}", _DAY_WORDS, _DAY_WORDS),
    st.lists(_DAY_WORDS, min_size=2, max_size=3).map(",".join),
)
_CLOCK = st.builds(
    lambda h, m, pad: f"{h:02d}:{m:02d}" if pad else f"{h}:{m:02d}",
    st.integers(0, 25),
    st.sampled_from([0, 30, 59, 60]),
    st.booleans(),
)
_HOURS = st.one_of(
    st.just("closed"),
    st.builds(lambda a, b, dash: f"{a}{dash}{b}", _CLOCK, _CLOCK, st.sampled_from(["-", "–"])),
)
_DATE_TEXT = st.one_of(st.none(), st.dates().map(lambda d: d.isoformat()), st.just("2026-02-30"))


@st.composite
def _rule_text(draw: st.DrawFn) -> str:
    text = f"{draw(_DAY_EXPR)} {draw(_HOURS)}"
    starts, ends = draw(_DATE_TEXT), draw(_DATE_TEXT)
    if starts:
        text += f" from {starts}"
    if ends:
        text += f" {draw(st.sampled_from(['until', 'to']))} {ends}"
    return text


_HOURS_TEXT = st.lists(_rule_text(), min_size=1, max_size=4).flatmap(
    lambda rules: st.sampled_from(["; ", "\n"]).map(lambda sep: sep.join(rules))
)


@PROPERTY
@given(_HOURS_TEXT)
def test_hours_text_means_the_same_on_every_surface(api_node: SpaceNode, text: str) -> None:
    from_cli = cli_changes("space", "set", "--hours", text)
    from_cli = from_cli if from_cli == REFUSED else from_cli["opening_hours"]
    assert from_cli == form_hours(text)
    if from_cli != REFUSED:
        stored = api(api_node, "/api/v1/space", {"opening_hours": from_cli})
        assert stored != REFUSED and stored.get("opening_hours", []) == from_cli


_TIME_VALUE = st.builds(
    lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 25), st.sampled_from([0, 59])
)


@st.composite
def _spec(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(st.sets(st.sampled_from(DAYS), min_size=1))
    spec: dict[str, Any] = {
        "days": [d for d in DAYS if d in days],
        "opens": draw(_TIME_VALUE),
        "closes": draw(_TIME_VALUE),
    }
    for name in ("valid_from", "valid_through"):
        value = draw(st.one_of(st.none(), st.dates().map(lambda d: d.isoformat())))
        if value is not None and len(value) == 10:
            spec[name] = value
    return spec


@PROPERTY
@given(st.lists(_spec(), min_size=1, max_size=4))
def test_the_api_takes_the_hours_the_text_takes(
    api_node: SpaceNode, specs: list[dict[str, Any]]
) -> None:
    """Hours the API accepts are the ones that written as text read back the same."""
    try:
        from_text: Any = formats.parse_opening_hours(formats.opening_hours_text(specs))
    except InvalidInput:
        from_text = REFUSED
    stored = api(api_node, "/api/v1/space", {"opening_hours": specs})
    assert (stored if stored == REFUSED else stored["opening_hours"]) == from_text
    if from_text != REFUSED:
        assert from_text == specs


def test_hours_grammar() -> None:
    assert formats.parse_opening_hours("Mo-Fr 09:00-19:00; Sa 10:00-01:00\nSa-Mo 7:30-9:00") == [
        {"days": list(DAYS[:5]), "opens": "09:00", "closes": "19:00"},
        {"days": ["Saturday"], "opens": "10:00", "closes": "01:00"},
        {"days": ["Monday", "Saturday", "Sunday"], "opens": "07:30", "closes": "09:00"},
    ]
    assert formats.parse_opening_hours("PH closed from 2026-12-24 to 2026-12-26") == [
        {
            "days": ["PublicHolidays"],
            "opens": "00:00",
            "closes": "00:00",
            "valid_from": "2026-12-24",
            "valid_through": "2026-12-26",
        }
    ]
    assert formats.parse_opening_hours(" \n ; ") == []
    for text, message in [
        ("Mon 08:00-09:00\nTuesday morning", "rule 2: write days then hours"),
        ("PH-Mo 10:00-12:00", "rule 1: day range 'PH-Mo' must be between days of the week"),
        ("Mon 24:00-02:00", "rule 1: 24:00 is not a time of day (00:00 to 23:59)"),
        ("Mon 08:00-24:30", "rule 1: 24:30 is not a time of day (00:00 to 24:00)"),
        ("Mon 08:00-09:00 from 2026-02-30", "rule 1: 2026-02-30 is not a date"),
        ("Mon 08:00-09:00\n" * 51, "at most 50 rules"),
    ]:
        with pytest.raises(InvalidInput, match=re.escape(message)):
            formats.parse_opening_hours(text)


@given(st.lists(_spec(), max_size=6))
def test_opening_hours_survive_the_text_round_trip(specs: list[dict[str, Any]]) -> None:
    specs = [s for s in specs if s["opens"] < "24:00" and s["closes"] <= "24:00"]
    assert formats.parse_opening_hours(formats.opening_hours_text(specs)) == specs


# -- money -----------------------------------------------------------------------------------------

_CURRENCY = st.sampled_from(["EUR", "JPY", "BHD", "CLF"])
_MONEY_TEXT = st.one_of(
    st.decimals(
        min_value=-5, max_value=10**8, places=None, allow_nan=False, allow_infinity=False
    ).map(str),
    st.builds(
        lambda units, sep, decimals: f"{units}{sep}{decimals}",
        st.integers(0, 10**7),
        st.sampled_from([".", ",", " "]),
        st.text("0123456789", min_size=1, max_size=5),
    ),
    st.sampled_from(["free", "12.", ".5", "+3", "1e3", "nan", "-inf", "0", "0,000"]),
)


@PROPERTY
@given(_MONEY_TEXT, _CURRENCY)
def test_money_means_the_same_on_every_surface(
    api_node: SpaceNode, text: str, currency: str
) -> None:
    from_cli = cli_changes(
        "resource", "update", "loft", f"--price-hour={text}", "--currency", currency.lower()
    )
    from_form = form_resource(price_hour=text, currency=currency.lower())
    if from_cli == REFUSED or from_form == REFUSED:
        assert from_cli == from_form == REFUSED
        return
    minor = from_cli["price_hour_minor"]
    assert (from_form["price_hour_minor"], from_form["currency"]) == (minor, currency)
    stored = api(api_node, "/api/v1/resources/loft", from_cli)
    assert stored != REFUSED and stored["price_hour_minor"] == minor


@PROPERTY
@given(st.integers(-10, 10**9 + 10) | st.integers(10**9 - 10, 10**10), _CURRENCY)
def test_the_api_takes_the_prices_the_text_takes(
    api_node: SpaceNode, minor: int, currency: str
) -> None:
    try:
        from_text: Any = formats.parse_money(formats.money_text(minor, currency), currency)
    except InvalidInput:
        from_text = REFUSED
    stored = api(
        api_node, "/api/v1/resources/loft", {"price_hour_minor": minor, "currency": currency}
    )
    assert (stored if stored == REFUSED else stored["price_hour_minor"]) == from_text
    assert from_text in (REFUSED, minor)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("12,5", "EUR", 1250),
        (" 25 ", "GBP", 2500),
        ("12.500", "EUR", 1250),
        ("1500", "JPY", 1500),
        ("1.5", "KWD", 1500),
        ("0", None, 0),
        ("10000000", "EUR", 10**9),
    ],
)
def test_money_grammar(text: str, currency: str | None, minor: int) -> None:
    assert formats.parse_money(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("nan", "EUR", "'nan' is not an amount"),
        ("inf", "EUR", "'inf' is not an amount"),
        ("1e3", "EUR", "'1e3' is not an amount"),
        ("-1", "EUR", "a price cannot be negative"),
        ("12.345", "EUR", "'12.345': at most 2 decimals for EUR"),
        ("1.5", "JPY", "'1.5': no decimals for JPY"),
        ("1,000", "EUR", "'1,000' is ambiguous"),
        ("10000000.01", "EUR", "at most 10000000.00 EUR"),
        ("5", None, "a price needs a currency"),
    ],
)
def test_money_refusals(text: str, currency: str | None, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        formats.parse_money(text, currency)


@given(st.integers(0, 10**9), st.sampled_from(["EUR", "JPY", "BHD", "CLF", None]))
def test_prices_survive_the_text_round_trip(minor: int, currency: str | None) -> None:
    if currency is None:
        minor = 0
    assert formats.parse_money(formats.money_text(minor, currency), currency) == minor


# -- coordinates -----------------------------------------------------------------------------------

_DEGREES_TEXT = st.one_of(
    st.decimals(min_value=-200, max_value=200, allow_nan=False, allow_infinity=False).map(str),
    st.floats(-200, 200).map(lambda f: f"{f:.7f}"),
    st.builds(lambda whole, frac: f"{whole},{frac}", st.integers(-200, 200), st.integers(0, 99)),
    st.sampled_from(["north", "90", "-90", "90.0000001", "180", "-180.0000004", "1e1", "+45.5"]),
)


@PROPERTY
@given(_DEGREES_TEXT, _DEGREES_TEXT)
def test_coordinates_mean_the_same_on_every_surface(
    api_node: SpaceNode, lat: str, lon: str
) -> None:
    from_cli = cli_changes("space", "set", f"--lat={lat}", f"--lon={lon}")
    from_form = form_profile(latitude=lat, longitude=lon)
    if from_cli == REFUSED or from_form == REFUSED:
        assert from_cli == from_form == REFUSED
        return
    both = ("latitude_e6", "longitude_e6")
    assert [from_form[k] for k in both] == [from_cli[k] for k in both]
    stored = api(api_node, "/api/v1/space", from_cli)
    assert stored != REFUSED and [stored[k] for k in both] == [from_cli[k] for k in both]


@PROPERTY
@given(st.integers(-200_000_000, 200_000_000))
def test_the_api_takes_the_coordinates_the_text_takes(api_node: SpaceNode, e6: int) -> None:
    for field, parse in (
        ("latitude_e6", formats.parse_latitude),
        ("longitude_e6", formats.parse_longitude),
    ):
        try:
            from_text: Any = parse(formats.degrees_text(e6))
        except InvalidInput:
            from_text = REFUSED
        stored = api(api_node, "/api/v1/space", {field: e6})
        assert (stored if stored == REFUSED else stored[field]) == from_text
        assert from_text in (REFUSED, e6)


def test_coordinates_grammar() -> None:
    assert formats.parse_latitude("45.4642") == 45_464_200
    assert formats.parse_latitude("-0,0873") == -87_300
    assert formats.parse_longitude("+180") == 180_000_000
    assert formats.parse_latitude("1.0000005") == 1_000_000  # half to even, at the millionth
    assert formats.degrees_text(10_000_000) == "10"  # not "1E+1"
    assert formats.degrees_text(-87_300) == "-0.0873"
    for text, message in [
        ("90.1", "must be between -90 and 90"),
        ("nan", "'nan' is not decimal degrees"),
        ("1e1", "'1e1' is not decimal degrees"),
    ]:
        with pytest.raises(InvalidInput, match=re.escape(message)):
            formats.parse_latitude(text)
    with pytest.raises(InvalidInput, match="must be between -180 and 180"):
        formats.parse_longitude("-180.5")


# -- resource kinds, durations ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", RESOURCE_KINDS)
def test_every_kind_of_the_protocol_is_taken_everywhere(kind: str) -> None:
    label = formats.resource_kind_label(kind)
    for text in (kind, label, kind.replace("_", "-").upper()):
        assert formats.parse_resource_kind(text) == kind
        assert cli_changes("resource", "update", "loft", "--kind", text)["kind"] == kind
        assert form_resource(kind=text)["kind"] == kind
    assert cli_changes("resource", "update", "loft", "--kind", "castle") == REFUSED
    assert form_resource(kind="castle") == REFUSED


def test_durations() -> None:
    assert formats.parse_duration("30m") == timedelta(minutes=30)
    assert formats.parse_duration(" 12h ") == timedelta(hours=12)
    assert formats.parse_duration("7d") == timedelta(days=7)
    for text in ("7", "d", "-1d", "1.5h", "7 d", "7w"):
        with pytest.raises(InvalidInput, match="is not a duration"):
            formats.parse_duration(text)


# -- relative time ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (-30, "just now"),
        (59, "just now"),
        (60, "1 min ago"),
        (5 * 60 + 59, "5 min ago"),
        (3 * 3600, "3 h ago"),
        (86400, "1 day ago"),
        (3 * 86400 + 5, "3 days ago"),
        (-120, "in 2 min"),
        (-2 * 86400, "in 2 days"),
    ],
)
def test_ago(seconds: int, words: str) -> None:
    now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    when = now - timedelta(seconds=seconds)
    assert formats.ago(when.strftime("%Y-%m-%dT%H:%M:%SZ"), now) == words
    assert formats.ago(when, now) == words
    assert formats.ago(when.replace(tzinfo=None), now) == words  # SQLite's naive UTC
    assert formats.ago(None, now) == formats.ago("", now) == "never"


# -- lists ----------------------------------------------------------------------------------------

_WORD = st.text(st.sampled_from("abcxyz-_.èé1"), min_size=1, max_size=6)
_SEPARATED = st.lists(st.tuples(_WORD, st.sampled_from([",", " ", ", ", "\n", ",,"])), max_size=5)


@given(_SEPARATED)
def test_amenities_mean_the_same_on_the_cli_and_the_form(parts: list[tuple[str, str]]) -> None:
    text = "".join(word + sep for word, sep in parts).replace(" ", ",")
    cli = cli_changes("space", "set", f"--amenities={text}")
    form = form_profile(amenities=text)
    assert cli != REFUSED and form != REFUSED
    assert isinstance(cli, dict) and isinstance(form, dict)
    assert cli["amenities"] == (form["amenities"] or [])


@given(_SEPARATED)
def test_tags_mean_the_same_on_the_cli_and_the_form(parts: list[tuple[str, str]]) -> None:
    text = "".join(word + sep for word, sep in parts)
    args = build_parser("event").parse_args(
        [
            "event",
            "add",
            "--title",
            "T",
            f"--tags={text}",
            "--start",
            "2027-01-01T10:00",
            "--end",
            "2027-01-01T11:00",
        ]
    )
    cli = content_cmds.event_data(args)
    form = forms.event_data(
        {"title": "T", "start": "2027-01-01T10:00", "end": "2027-01-01T11:00", "tags": text}
    )
    assert cli.get("tags", []) == (form["tags"] or [])
    assert all(
        tag and "," not in tag and not any(c.isspace() for c in tag) for tag in form["tags"] or []
    )


def test_links_mean_the_same_on_the_cli_and_the_form() -> None:
    cli = cli_changes("space", "set", "--link", "Site | https://a.example/?x=1")
    form = form_profile(links="Site | https://a.example/?x=1")
    assert isinstance(cli, dict) and isinstance(form, dict)
    assert cli["links"] == form["links"] == [{"title": "Site", "url": "https://a.example/?x=1"}]
    assert cli_changes("space", "set", "--link", "no separator") == REFUSED
    assert form_profile(links="no separator") == REFUSED


def test_time_zones_come_from_the_pinned_tzdata_not_the_system() -> None:
    """Every node turns wall times into the same instants: zones are read from tzdata."""
    from importlib import resources
    from zoneinfo import ZoneInfoNotFoundError

    from node.clock import zone

    rome = zone("Europe/Rome")
    assert rome.key == "Europe/Rome"
    assert rome is zone("Europe/Rome")  # loaded once
    tzif = resources.files("tzdata.zoneinfo").joinpath("Europe", "Rome").read_bytes()
    assert tzif.startswith(b"TZif")
    assert datetime(2026, 7, 1, 12, tzinfo=rome).utcoffset() == timedelta(hours=2)
    for bad in ("Nowhere/Land", "../../etc/passwd", "Europe/../Europe/Rome", ""):
        with pytest.raises(ZoneInfoNotFoundError):
            zone(bad)


def test_zones_are_loaded_only_through_node_clock_zone() -> None:
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for package in ("node", "federation")
        for path in (root / package).rglob("*.py")
        if path.name != "clock.py" and re.search(r"\bZoneInfo\(", path.read_text())
    ]
    assert offenders == [], "use node.clock.zone(name), which reads the pinned tzdata"


def test_instants_and_wall_times_typed_by_people() -> None:
    assert formats.parse_instant_ms("2026-11-20T08:00Z") == 1_795_161_600_000
    assert formats.parse_instant_ms(" 2026-11-20T09:00+01:00 ") == 1_795_161_600_000
    assert formats.parse_instant_ms("2026-11-20T08:00") == 1_795_161_600_000  # UTC by default
    with pytest.raises(InvalidInput, match="not a time like"):
        formats.parse_instant_ms("yesterday")
    assert formats.local_time_input("2026-12-01 09:00") == "2026-12-01T09:00"
    assert formats.local_time_input("2026-12-01T09:00:00") == "2026-12-01T09:00"
    assert formats.local_time_input("2026-12-01T09:00:30") == "2026-12-01T09:00:30"  # refused later


def test_a_bad_compromised_since_is_one_line_and_usage_status(
    space: SpaceNode, capsys: pytest.CaptureFixture[str]
) -> None:
    before = space.counts()
    code = main(["--data-dir", str(space.data_dir), "key", "rotate", "--compromised-since", "x"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--compromised-since" in err, err
    assert space.counts() == before
