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


# The operations whose body is all optional fields (a reason, a day) and that the node takes
# without one: the document must not say a body is required, nor omit it from the others.
BODY_OPTIONAL = {
    ("/api/v1/events/{event_id}/cancel", "post"),
    ("/api/v1/projects/{project_id}/close", "post"),
    ("/api/v1/agreements/{agreement_id}/reject", "post"),
    ("/api/v1/agreements/{agreement_id}/terminate", "post"),
}


def test_a_body_the_node_does_without_is_optional_in_the_document(space: SpaceNode) -> None:
    doc = space.client.get("/api/v1/openapi.json").get_json()
    optional = {
        (path, method)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if "requestBody" in op and not op["requestBody"]["required"]
    }
    assert optional == BODY_OPTIONAL
    event = space.client.post(
        "/api/v1/events",
        json={"title": "Open day", "start": "2026-12-20T10:00", "end": "2026-12-20T12:00"},
        headers=space.auth(),
    ).get_json()
    bare = space.client.post(f"/api/v1/events/{event['id']}/cancel", headers=space.auth())
    assert bare.status_code == 204
    assert space.client.post("/api/v1/events", headers=space.auth()).status_code == 415
