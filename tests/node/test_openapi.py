"""The OpenAPI document describes every /api/v1 route, from the same schemas."""

from __future__ import annotations

import re

from tests.support import SpaceNode


def test_every_api_route_is_in_the_openapi_document(space: SpaceNode) -> None:
    doc = space.client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    routes = set()
    for rule in space.app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    assert routes, "no API routes found"
    assert routes == documented


def test_request_bodies_come_from_the_marshmallow_schemas(space: SpaceNode) -> None:
    doc = space.client.get("/api/v1/openapi.json").get_json()
    body = doc["paths"]["/api/v1/resources"]["post"]["requestBody"]["content"]["application/json"]
    ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
    schema = doc["components"]["schemas"][ref]
    assert set(schema["required"]) == {"kind", "name", "capacity"}
    assert schema["properties"]["kind"]["enum"] == [
        "hot_desk",
        "fixed_desk",
        "meeting_room",
        "office",
    ]
    assert schema["additionalProperties"] is False
    assert doc["paths"]["/api/v1/resources"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in doc["paths"]["/api/v1/resources"]["get"]


def test_every_201_declares_its_location_header(space: SpaceNode) -> None:
    doc = space.client.get("/api/v1/openapi.json").get_json()
    created = [
        op
        for item in doc["paths"].values()
        for op in item.values()
        if "201" in op.get("responses", {})
    ]
    assert created
    assert all("Location" in op["responses"]["201"]["headers"] for op in created)


def test_the_document_says_what_the_node_refuses(space: SpaceNode) -> None:
    doc = space.client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    event = schemas["Event"]["properties"]
    assert event["start"]["pattern"].startswith("^[0-9]{3}[1-9]-")
    assert "Europe/Rome" in event["timezone"]["enum"]
    assert event["title"]["pattern"] == "^[^\\u0000-\\u001f\\u007f-\\u009f\\ufffe\\uffff]*$"
    assert event["description"]["pattern"].startswith("^[^\\u0000-\\u0008\\u000b")
    assert event["url"]["pattern"].startswith("^https?://")
    # A change requires nothing; a creation requires what the server requires.
    assert "required" not in schemas["EventChange"] and "required" not in schemas["ResourceChange"]
    assert set(schemas["Resource"]["required"]) == {"capacity", "kind", "name"}
    assert {"required": ["currency"], "properties": {"currency": {"type": "string"}}} in schemas[
        "Resource"
    ]["anyOf"]
    # A nullable nested object admits null only, not any object.
    they_give = schemas["Propose"]["properties"]["they_give"]["anyOf"]
    assert {"nullable": True, "type": "object", "enum": [None]} in they_give
    member = doc["paths"]["/api/v1/members/{member_id}"]["get"]["parameters"][0]
    assert member["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_every_success_response_declares_its_body(space: SpaceNode) -> None:
    doc = space.client.get("/api/v1/openapi.json").json
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if not code.startswith("2") or path.endswith("/openapi.json"):
                    continue
                if code == "204":
                    assert "content" not in response, (path, method)
                else:
                    assert "content" in response, (path, method, code)
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.split("/")[-1] in doc["components"]["schemas"]


def test_the_document_says_which_bodies_may_be_left_out_as_the_node_does(
    space: SpaceNode,
) -> None:
    """Every operation with a body, asked without one (unknown ids where the path has them):
    where the document calls the body required the node answers 415, where it does not the
    node goes on without one (to the unknown id's 404, or to its work)."""
    doc = space.client.get("/api/v1/openapi.json").get_json()
    seen = {True: 0, False: 0}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if "requestBody" not in op:
                continue
            required = op["requestBody"]["required"]
            url = re.sub(r"\{[^}]+\}", "0", path)
            answer = space.client.open(url, method=method.upper(), headers=space.auth())
            assert (answer.status_code == 415) == required, (method, path, answer.status_code)
            seen[required] += 1
    assert seen[True] > 10 and seen[False] >= 4
    event = space.client.post(
        "/api/v1/events",
        json={"title": "Open day", "start": "2026-12-20T10:00", "end": "2026-12-20T12:00"},
        headers=space.auth(),
    ).get_json()
    bare = space.client.post(f"/api/v1/events/{event['id']}/cancel", headers=space.auth())
    assert bare.status_code == 204
