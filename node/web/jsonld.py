"""schema.org JSON-LD for the pages: the space as a ``Place``, its events as ``Event``s.

:func:`script_tag` embeds a document in HTML. JSON inside ``<script>`` is not HTML-escaped by the
browser, so a title holding ``</script>`` would end the block early; every ``<``, ``>`` and ``&``
is written as a ``\\u`` escape instead, which JSON parsers read back as the same character.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from node.formats import minor_to_major
from node.web.formatting import iso_with_offset

CONTEXT = "https://schema.org"
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    # Line and paragraph separators are valid in JSON but not in older JavaScript parsers.
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_tag(doc: Any) -> Markup:
    """``<script type="application/ld+json">`` holding ``doc``, safe to place in any HTML page."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)
    # Safe as markup: the text holds no "<", ">" or "&" any more (see the module docstring).
    return Markup(f'<script type="application/ld+json">{text}</script>')  # noqa: S704


def _address(profile: dict[str, Any]) -> dict[str, Any] | None:
    fields = {
        "streetAddress": profile.get("address"),
        "addressLocality": profile.get("city"),
        "addressCountry": profile.get("country"),
    }
    present = {k: v for k, v in fields.items() if v}
    return {"@type": "PostalAddress", **present} if present else None


def opening_hours_specification(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The profile's opening hours as schema.org ``OpeningHoursSpecification`` objects.

    The profile already follows schema.org's semantics (a closing time at or before the opening
    time means after midnight; 00:00–00:00 closed), so this is a renaming, not a conversion.
    """
    out = []
    for spec in specs:
        item: dict[str, Any] = {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": [f"{CONTEXT}/{day}" for day in spec["days"]],
            "opens": spec["opens"],
            "closes": spec["closes"],
        }
        if spec.get("valid_from"):
            item["validFrom"] = spec["valid_from"]
        if spec.get("valid_through"):
            item["validThrough"] = spec["valid_through"]
        out.append(item)
    return out


def place_ref(profile: dict[str, Any], url: str) -> dict[str, Any]:
    """The space in short (name, address, coordinates): an event's ``location``."""
    doc: dict[str, Any] = {
        "@type": "Place",
        "@id": f"{url}/#place",
        "name": profile["name"],
        "url": url + "/",
    }
    address = _address(profile)
    if address:
        doc["address"] = address
    lat, lon = profile.get("latitude_e6"), profile.get("longitude_e6")
    if lat is not None and lon is not None:
        # Millionths of a degree (the signed profile holds no floats); dividing an integer by
        # 10**6 gives the double nearest the six-decimal value, which prints back exactly.
        doc["geo"] = {"@type": "GeoCoordinates", "latitude": lat / 1e6, "longitude": lon / 1e6}
    return doc


def place(profile: dict[str, Any], url: str, *, with_context: bool = True) -> dict[str, Any]:
    """The space as a schema.org ``Place``, with opening hours and amenities."""
    doc: dict[str, Any] = {"@context": CONTEXT} if with_context else {}
    doc.update(place_ref(profile, url))
    if profile.get("description"):
        doc["description"] = profile["description"]
    if profile.get("opening_hours"):
        doc["openingHoursSpecification"] = opening_hours_specification(profile["opening_hours"])
    if profile.get("amenities"):
        doc["amenityFeature"] = [
            {"@type": "LocationFeatureSpecification", "name": name, "value": True}
            for name in profile["amenities"]
        ]
    contact = profile.get("contact") or {}
    if contact.get("phone"):
        doc["telephone"] = contact["phone"]
    # schema.org's Place has no email property; the page shows the address to people instead.
    links = [link["url"] for link in profile.get("links") or []]
    if contact.get("url"):
        links.insert(0, contact["url"])
    if links:
        doc["sameAs"] = links
    return doc


def event(
    body: dict[str, Any],
    *,
    cancelled: bool,
    page_url: str,
    profile: dict[str, Any],
    space_url: str,
    with_context: bool = True,
) -> dict[str, Any]:
    """One event as a schema.org ``Event`` held at the space."""
    tz = body["timezone"]
    doc: dict[str, Any] = {"@context": CONTEXT} if with_context else {}
    doc.update(
        {
            "@type": "Event",
            "@id": page_url,
            "name": body["title"],
            "url": page_url,
            "startDate": iso_with_offset(body["start"], tz),
            "endDate": iso_with_offset(body["end"], tz),
            "eventStatus": f"{CONTEXT}/{'EventCancelled' if cancelled else 'EventScheduled'}",
            "eventAttendanceMode": f"{CONTEXT}/OfflineEventAttendanceMode",
            "location": place_ref(profile, space_url),
            "organizer": {"@type": "Organization", "name": profile["name"], "url": space_url + "/"},
        }
    )
    if body.get("description"):
        doc["description"] = body["description"]
    if body.get("capacity") is not None:
        doc["maximumAttendeeCapacity"] = body["capacity"]
    if body.get("tags"):
        doc["keywords"] = ",".join(body["tags"])
    if body.get("price_minor") is not None:
        offer: dict[str, Any] = {
            "@type": "Offer",
            "price": str(minor_to_major(body["price_minor"], body.get("currency"))),
            "url": body.get("url") or page_url,
        }
        if body.get("currency"):
            offer["priceCurrency"] = body["currency"]
        doc["offers"] = offer
    elif body.get("url"):
        doc["sameAs"] = body["url"]
    return doc


def graph(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Several nodes in one document (a page listing the space and its events)."""
    return {"@context": CONTEXT, "@graph": items}
