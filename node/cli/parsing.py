"""Turning human CLI input into API-shaped data: amounts, coordinates, opening hours, lists."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from federation.bodies import DAYS
from node.cli.output import CliError
from node.services.money import currency_exponent

_DAY_ABBR = {d[:2].lower(): d for d in DAYS[:7]} | {"ph": "PublicHolidays"}


def minor_units(amount: str, currency: str | None, option: str) -> int:
    """``"12.50"`` EUR → 1250; refuses more decimals than the currency has."""
    if not currency:
        raise CliError(f"{option} needs --currency (e.g. EUR)", 2)
    exponent = currency_exponent(currency.upper())
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise CliError(f"{option}: {amount!r} is not an amount like 12.50", 2) from None
    scaled = value * (10**exponent)
    if value < 0 or scaled != scaled.to_integral_value():
        raise CliError(f"{option}: {amount!r} must be ≥ 0 with at most {exponent} decimals", 2)
    return int(scaled)


def format_minor(amount: int | None, currency: str | None) -> str:
    if amount is None or not currency:
        return ""
    exponent = currency_exponent(currency)
    return f"{Decimal(amount) / (10**exponent):.{exponent}f} {currency}"


def micro_degrees(value: str, option: str) -> int:
    """``"45.4642"`` → 45464200 (the feed carries integers, never floats)."""
    try:
        return int((Decimal(value) * 1_000_000).to_integral_value())
    except InvalidOperation:
        raise CliError(f"{option}: {value!r} is not a number of degrees like 45.4642", 2) from None


def csv_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _days(spec: str) -> list[str]:
    days: list[str] = []
    for part in spec.split(","):
        bounds = [b.strip().lower()[:2] for b in part.split("-")]
        try:
            names = [_DAY_ABBR[b] for b in bounds]
        except KeyError:
            raise CliError(
                f"opening hours: unknown day in {part!r}; use Mo Tu We Th Fr Sa Su PH", 2
            ) from None
        if len(names) == 2:
            order = list(DAYS[:7])
            start, end = order.index(names[0]), order.index(names[1])
            span = order[start : end + 1] if start <= end else order[start:] + order[: end + 1]
            days.extend(span)
        else:
            days.extend(names)
    return list(dict.fromkeys(days))


def opening_hours(text: str) -> list[dict[str, Any]]:
    """``"Mo-Fr 09:00-19:00; Sa 10:00-02:00"`` → OpeningHoursSpecification-like rows.

    A closing time at or before the opening time means the space closes after midnight.
    """
    rows: list[dict[str, Any]] = []
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        match = re.fullmatch(r"(\S+)\s+(\d\d:\d\d)-(\d\d:\d\d)", chunk)
        if not match:
            raise CliError(f"opening hours: {chunk!r} is not like 'Mo-Fr 09:00-18:00'", 2)
        rows.append(
            {"days": _days(match.group(1)), "opens": match.group(2), "closes": match.group(3)}
        )
    return rows
