"""People's input formats, one grammar each: what the CLI, the admin forms and the JSON API accept.

A person types opening hours, prices, coordinates, resource kinds, durations and lists (tags,
amenities, co-hosts, links) as text; the feed
carries them as the integers and lists of protocol.md (§Entry types, §space.profile). Each parser
here turns such text into exactly the value the entry's body takes, or raises
:class:`~node.errors.InvalidInput` with a message a person can act on. The HTTP layer turns that
error into a 422 problem and the CLI into one line on stderr; a form shows it beside its field.
The inverse functions (``*_text``) write a stored value back as text the parser takes again, so a
form can be pre-filled.

Plain Python only: no Flask and no SQLAlchemy, so the CLI and the tests can use it anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from federation.vocabulary import DAYS, MAX_MINOR_UNITS, RESOURCE_KINDS
from node.errors import InvalidInput
from node.messages import N_, joined

__all__ = [
    "DAYS",
    "HOURS_HELP",
    "RESOURCE_KINDS",
    "SHORT_DAY",
    "ago",
    "currency_exponent",
    "day_list",
    "degrees_text",
    "links_text",
    "local_time_input",
    "minor_to_major",
    "money_text",
    "opening_hours_text",
    "parse_currency",
    "parse_duration",
    "parse_instant_ms",
    "parse_items",
    "parse_latitude",
    "parse_link",
    "parse_longitude",
    "parse_money",
    "parse_opening_hours",
    "parse_resource_kind",
    "parse_tags",
    "resource_kind_label",
]

# -- opening hours (protocol.md §space.profile, schema.org OpeningHoursSpecification) ------------

SHORT_DAY = {
    "Monday": "Mon",
    "Tuesday": "Tue",
    "Wednesday": "Wed",
    "Thursday": "Thu",
    "Friday": "Fri",
    "Saturday": "Sat",
    "Sunday": "Sun",
    "PublicHolidays": "Public holidays",
}
# Every spelling of a day people use: Monday, Mon, Mo (OpenStreetMap's), PH, holidays.
_DAY_NAMES = {
    **{d.lower(): d for d in DAYS},
    **{SHORT_DAY[d].lower(): d for d in DAYS},
    **{d[:2].lower(): d for d in DAYS[:7]},
    "ph": "PublicHolidays",
    "holidays": "PublicHolidays",
}
_HOURS_RULE = re.compile(
    r"(?P<days>.+?)\s+(?:(?P<closed>closed)|(?P<opens>\d{1,2}:\d\d)\s*[-–]\s*(?P<closes>\d{1,2}:\d\d))"
    r"(?:\s+from\s+(?P<from>\d{4}-\d\d-\d\d))?(?:\s+(?:until|to)\s+(?P<until>\d{4}-\d\d-\d\d))?",
    re.IGNORECASE,
)
MAX_HOURS_RULES = 50  # protocol.md §space.profile: at most 50 opening-hours objects
HOURS_HELP = N_(
    "One rule per line (or separated by “;”): days, then hours, e.g. “Mon-Fri 08:00-20:00”, "
    "“Fri 18:00-02:00” (closes after midnight), “Sat,Sun 10:00-16:00”, “PublicHolidays closed "
    "from 2026-12-24 until 2026-12-26”."
)
# Form and CLI text write days with the short names (Public holidays without its space, so the
# text stays one word per day for the parser).
_TEXT_DAY_NAMES = {**SHORT_DAY, "PublicHolidays": "PublicHolidays"}


def _days(text: str) -> list[str]:
    """``"Mon-Fri, Sun"`` → the day names of the protocol, in week order, each once."""
    days: list[str] = []
    for part in re.split(r"\s*,\s*", text.strip()):
        ends = re.split(r"\s*[-–]\s*", part)
        names = [_DAY_NAMES.get(e.lower()) for e in ends]
        if len(ends) > 2 or any(n is None for n in names):
            raise ValueError(
                N_("unknown day %(part)r; use Mon Tue Wed Thu Fri Sat Sun PH", part=part)
            )
        if len(ends) == 2:
            first, last = DAYS.index(str(names[0])), DAYS.index(str(names[1]))
            if max(first, last) > 6:
                raise ValueError(
                    N_("day range %(part)r must be between days of the week", part=part)
                )
            week = list(DAYS[:7])
            # Sat-Mon wraps over the weekend.
            days.extend(
                week[first : last + 1] if first <= last else week[first:] + week[: last + 1]
            )
        else:
            days.append(str(names[0]))
    return [d for d in DAYS if d in days]


def _clock(text: str, closing: bool) -> str:
    """``"7:30"`` → ``"07:30"``; a *time of day* of protocol.md, ``24:00`` only as a closing."""
    hours, minutes = (int(x) for x in text.split(":"))
    if closing and (hours, minutes) == (24, 0):
        return "24:00"
    if hours > 23 or minutes > 59:
        last = "24:00" if closing else "23:59"
        raise ValueError(
            N_("%(text)s is not a time of day (00:00 to %(last)s)", text=text, last=last)
        )
    return f"{hours:02d}:{minutes:02d}"


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(N_("%(text)s is not a date", text=text)) from None


def parse_opening_hours(text: str) -> list[dict[str, Any]]:
    """Opening-hours text → the ``opening_hours`` list of a ``space.profile`` body.

    One rule per line or per ``;``: days (``Mon-Fri``, ``Mo,We``, ``Saturday``, ``PH``), then
    ``HH:MM-HH:MM`` or ``closed``, then optionally ``from YYYY-MM-DD`` and ``until YYYY-MM-DD``.
    A closing time at or before the opening time closes after midnight and ``closed`` is
    ``00:00-00:00`` (schema.org's conventions, which protocol.md follows). Empty text is no rules.
    Every bad rule is named in the one :class:`InvalidInput` raised.
    """
    specs: list[dict[str, Any]] = []
    # Each a Message (the ValueErrors above carry one), shown in the page's language.
    problems: list[str] = []
    rules = [rule.strip() for line in text.splitlines() for rule in line.split(";")]
    for number, rule in enumerate((r for r in rules if r), start=1):
        match = _HOURS_RULE.fullmatch(rule)
        if match is None:
            problems.append(
                N_(
                    "rule %(number)s: write days then hours, e.g. Mon-Fri 08:00-20:00",
                    number=number,
                )
            )
            continue
        try:
            spec: dict[str, Any] = {"days": _days(match["days"])}
            if match["closed"]:
                spec["opens"] = spec["closes"] = "00:00"
            else:
                spec["opens"] = _clock(match["opens"], closing=False)
                spec["closes"] = _clock(match["closes"], closing=True)
            if match["from"]:
                spec["valid_from"] = _day(match["from"])
            if match["until"]:
                spec["valid_through"] = _day(match["until"])
        except ValueError as exc:
            problems.append(N_("rule %(number)s: %(problem)s", number=number, problem=exc.args[0]))
            continue
        specs.append(spec)
    if len(specs) > MAX_HOURS_RULES:
        problems.append(N_("at most %(count)s rules", count=MAX_HOURS_RULES))
    if problems:
        raise InvalidInput(joined(problems))
    return specs


def day_list(days: list[str], names: Mapping[str, str] = SHORT_DAY, dash: str = "–") -> str:
    """``["Monday", …, "Friday", "Sunday"]`` → ``"Mon–Fri, Sun"`` (runs of weekdays collapsed)."""
    ordered = [d for d in DAYS if d in days]
    parts: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 3:
            parts.append(f"{names[run[0]]}{dash}{names[run[-1]]}")
        else:
            parts.extend(names[d] for d in run)
        run.clear()

    for day in ordered:
        if run and (day == "PublicHolidays" or DAYS.index(day) != DAYS.index(run[-1]) + 1):
            flush()
        run.append(day)
    flush()
    return ", ".join(parts)


def opening_hours_text(specs: list[dict[str, Any]]) -> str:
    """The inverse of :func:`parse_opening_hours`: one rule per line."""
    lines = []
    for spec in specs:
        days = day_list(spec["days"], names=_TEXT_DAY_NAMES, dash="-")
        if spec["opens"] == spec["closes"] == "00:00":
            line = f"{days} closed"
        else:
            line = f"{days} {spec['opens']}-{spec['closes']}"
        if spec.get("valid_from"):
            line += f" from {spec['valid_from']}"
        if spec.get("valid_through"):
            line += f" until {spec['valid_through']}"
        lines.append(line)
    return "\n".join(lines)


# -- money (protocol.md: prices are integers in minor units with an ISO 4217 code) ---------------

# ISO 4217 currencies whose minor unit is not a hundredth; every other code has two decimals.
_EXPONENTS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}
# Digits with at most one decimal point or comma: no sign, exponent, nan or infinity.
_AMOUNT = re.compile(r"(?P<units>\d+)(?:[.,](?P<decimals>\d+))?")


def currency_exponent(currency: str | None) -> int:
    """Decimal places of ``currency``'s minor unit (2 when unknown or not given)."""
    return _EXPONENTS.get(currency or "", 2)


# What people type for the currencies of the spaces Spazi is for, besides the ISO code.
CURRENCY_WORDS = {"€": "EUR", "euro": "EUR", "euros": "EUR", "£": "GBP", "pound": "GBP",
                  "pounds": "GBP"}  # fmt: skip


def parse_currency(text: str) -> str:
    """``" eur"`` → ``"EUR"``: an ISO 4217 code, any case, or ``€``, ``euro``, ``£``."""
    code = CURRENCY_WORDS.get(text.strip().lower(), text.strip()).upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise InvalidInput(
            N_("%(text)r is not a currency code; use ISO 4217, e.g. EUR", text=text.strip())
        )
    return code


def parse_money(text: str, currency: str | None) -> int:
    """``"12.50"`` (or ``"12,50"``) in ``currency`` → minor units, ``1250``.

    Refuses signs, nan and infinity, more decimals than the currency has (ISO 4217: none for JPY,
    three for KWD), amounts above the protocol's bound, and a price other than 0 with no currency.
    """
    amount = text.strip()
    match = _AMOUNT.fullmatch(amount)
    if match is None:
        if amount.startswith("-"):
            raise InvalidInput(N_("a price cannot be negative"))
        raise InvalidInput(
            N_("%(amount)r is not an amount; use a number like 12.50", amount=amount)
        )
    decimals = match["decimals"] or ""
    if currency is None and Decimal(f"{match['units']}.{decimals or 0}") != 0:
        raise InvalidInput(N_("a price needs a currency, e.g. EUR"))
    if "," in amount and len(decimals) == 3:
        # "1,000" is a thousand to some readers and one to others: make the writer choose.
        raise InvalidInput(
            N_("%(amount)r is ambiguous; write 1000 or 1.000, without separators", amount=amount)
        )
    exponent = currency_exponent(currency)
    if len(decimals.rstrip("0")) > exponent:
        places = N_("at most %(count)s decimals", count=exponent) if exponent else N_("no decimals")
        raise InvalidInput(
            N_(
                "%(amount)r: %(places)s for %(value)s",
                amount=amount,
                places=places,
                value=currency or N_("a price"),
            )
        )
    minor = int(Decimal(f"{match['units']}.{decimals or 0}").scaleb(exponent))
    if minor > MAX_MINOR_UNITS:
        most = f"{money_text(MAX_MINOR_UNITS, currency)} {currency or ''}".strip()
        raise InvalidInput(
            N_("%(amount)r is too large; at most %(most)s", amount=amount, most=most)
        )
    return minor


def minor_to_major(minor: int, currency: str | None) -> Decimal:
    """``2550, "EUR"`` → ``Decimal("25.50")``."""
    exponent = currency_exponent(currency)
    return (Decimal(minor) / (Decimal(10) ** exponent)).quantize(Decimal(1).scaleb(-exponent))


def money_text(minor: int | None, currency: str | None) -> str:
    """The inverse of :func:`parse_money`: ``2550, "EUR"`` → ``"25.50"``; None → ``""``."""
    return "" if minor is None else str(minor_to_major(minor, currency))


# -- coordinates (protocol.md: integers in millionths of a degree) --------------------------------

_DEGREES = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def _degrees_e6(text: str, limit: int) -> int:
    value = text.strip()
    if not _DEGREES.fullmatch(value):
        raise InvalidInput(N_("%(value)r is not decimal degrees; write e.g. 51.5074", value=value))
    degrees = Decimal(value.replace(",", "."))
    if abs(degrees) > limit:
        raise InvalidInput(N_("must be between -%(limit)s and %(limit)s", limit=limit))
    # Signed documents carry no floats; more than six decimals (about 0.1 m) is rounded.
    return int(degrees.scaleb(6).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def parse_latitude(text: str) -> int:
    """``"45.4642"`` → ``latitude_e6`` ``45464200``; between -90 and 90."""
    return _degrees_e6(text, 90)


def parse_longitude(text: str) -> int:
    """``"9.19"`` → ``longitude_e6`` ``9190000``; between -180 and 180."""
    return _degrees_e6(text, 180)


def degrees_text(e6: int | None) -> str:
    """The inverse of the coordinate parsers: ``45464200`` → ``"45.4642"``; None → ``""``."""
    if e6 is None:
        return ""
    # Fixed-point, never exponent notation ("1E+1"), which the parser would not take back.
    text = f"{Decimal(e6).scaleb(-6):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# -- resource kinds (protocol.md §resource.put) ---------------------------------------------------


def parse_resource_kind(text: str) -> str:
    """``"Meeting room"``, ``"meeting-room"`` or ``"meeting_room"`` → ``"meeting_room"``."""
    kind = re.sub(r"[\s-]+", "_", text.strip().lower())
    if kind not in RESOURCE_KINDS:
        raise InvalidInput(
            N_(
                "unknown kind %(text)r; one of %(items)s",
                text=text.strip(),
                items=", ".join(RESOURCE_KINDS),
            )
        )
    return kind


def resource_kind_label(kind: str) -> str:
    """``"meeting_room"`` → ``"Meeting room"``."""
    return kind.replace("_", " ").capitalize()


# -- durations ------------------------------------------------------------------------------------

_DURATION = re.compile(r"(\d{1,6})([mhd])")
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


def parse_duration(text: str) -> timedelta:
    """``"30m"``, ``"12h"``, ``"7d"`` → a :class:`~datetime.timedelta`."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise InvalidInput(
            N_("%(text)r is not a duration; write e.g. 30m, 12h or 7d", text=text.strip())
        )
    return int(match[1]) * _UNITS[match[2]]


# -- instants and wall times ----------------------------------------------------------------------


def parse_date(text: str, field: str = "date") -> date:
    """``"2026-12-04"`` → a date; :class:`InvalidInput` naming ``field`` otherwise."""
    cleaned = (text or "").strip()
    try:
        if len(cleaned) != 10:
            raise ValueError(cleaned)
        return date.fromisoformat(cleaned)
    except ValueError:
        raise InvalidInput(
            N_(
                "%(field)s: %(cleaned)r is not a day like 2026-12-04",
                field=field,
                cleaned=cleaned[:40],
            )
        ) from None


def parse_instant_ms(text: str) -> int:
    """``"2026-11-20T08:00Z"`` (or with an offset, or without one: UTC) → Unix milliseconds."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            N_("%(text)r is not a time like 2026-11-20T08:00Z", text=text.strip())
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def local_time_input(text: str) -> str:
    """A ``datetime-local`` input (or a typed ``2026-12-01 09:00``) in the form event bodies take
    (``2026-12-01T09:00``); anything else is left as typed, for the schema to refuse."""
    value = text.strip().replace(" ", "T", 1)
    # Browsers send seconds when the input has a step; whole minutes are what the pages offer.
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00", value):
        value = value[:16]
    return value


# -- relative time ---------------------------------------------------------------------------------


def _span(seconds: int) -> str:
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''}"


# What formats a time as "how long ago": :func:`ago`, or the web's in the page's language
# (``node.web.formatting.ago``); lists shared by the CLI and the pages take one.
Ago = Callable[[datetime | None, datetime], str]


def ago(when: datetime | str | None, now: datetime) -> str:
    """How long ago ``when`` was, in words: ``"5 min ago"``, ``"3 h ago"``, ``"2 days ago"``.

    ``when`` is a datetime (naive ones are UTC, as SQLite returns them) or an RFC 3339 UTC text
    (``2026-11-18T10:00:00Z``); None or ``""`` is ``"never"``. Within a minute either way reads
    ``"just now"``, so another node's clock running a little ahead shows no odd future; a time
    further ahead (a peer's next sync) reads ``"in 5 min"``.
    """
    if when is None or when == "":
        return "never"
    if isinstance(when, str):
        when = datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = int((now - when).total_seconds())
    if -60 < seconds < 60:
        return "just now"
    if seconds < 0:
        return f"in {_span(-seconds)}"
    return f"{_span(seconds)} ago"


# ---- lists ---------------------------------------------------------------------------------


def _unique(items: list[str]) -> list[str]:
    """``items`` without repeats, in first-seen order (bodies refuse repeated list items)."""
    return list(dict.fromkeys(items))


def parse_tags(text: str) -> list[str]:
    """Tags separated by commas or white space ("music, jazz live"): protocol tags hold
    neither (protocol.md §event.put), so both separate."""
    return _unique([tag for tag in re.split(r"[,\s]+", text) if tag])


def parse_items(text: str) -> list[str]:
    """Items separated by commas or new lines (amenities, co-host node ids), trimmed."""
    return _unique([item.strip() for item in re.split(r"[,\n]", text) if item.strip()])


def parse_link(text: str) -> dict[str, str]:
    """One link, ``Title | https://…`` (or ``Title=https://…``), as a profile ``links`` item."""
    title, bar, url = text.partition("|")
    if not bar:
        title, bar, url = text.partition("=")
    if not bar or not title.strip() or not url.strip():
        raise InvalidInput(N_("write Title | https://… (got %(text)r)", text=text.strip()[:60]))
    return {"title": title.strip(), "url": url.strip()}


def links_text(links: list[Mapping[str, str]]) -> str:
    """Profile links one per line, as :func:`parse_link` reads them back."""
    return "\n".join(f"{link['title']} | {link['url']}" for link in links)
