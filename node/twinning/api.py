"""The twinning part of the JSON API (admin bearer token): agreements, guest passes and the
front-desk check, in the OpenAPI document like the rest of ``/api/v1``. The routes call the same
use cases as the CLI and the admin pages (node/twinning/)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request, url_for
from marshmallow import fields, validate

from federation.vocabulary import RESOURCE_KINDS
from node.errors import InvalidInput
from node.http.api import admin_token
from node.http.apidoc import operation
from node.http.context import node
from node.http.marks import etagged
from node.http.problems import json_body, optional_json_body
from node.schemas import Line, Lines, StrictSchema
from node.services.validation import load
from node.twinning import agreements, desk, passes

bp = etagged(Blueprint("twinning_api", __name__, url_prefix="/api/v1"))

KINDS = validate.OneOf(RESOURCE_KINDS)


class TermsSchema(StrictSchema):
    days_per_member_month = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, 31)
    )
    days_total_month = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, 100_000)
    )
    resource_kinds = fields.List(
        fields.String(validate=KINDS), load_default=["hot_desk"], validate=validate.Length(1, 4)
    )


class ProposeSchema(StrictSchema):
    partner = Line(required=True, validate=validate.Length(1, 2000))
    we_give = fields.Nested(TermsSchema, required=True)
    they_give = fields.Nested(TermsSchema, load_default=None)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)


class RejectSchema(StrictSchema):
    reason = Lines(validate=validate.Length(max=500))


class TerminateSchema(StrictSchema):
    effective = fields.Date(load_default=None)
    reason = Lines(validate=validate.Length(max=500))


class IssuePassSchema(StrictSchema):
    member_id = fields.Integer(required=True, strict=True)
    partner = Line(required=True, validate=validate.Length(1, 2000))
    day = fields.Date(load_default=None)


class CheckinSchema(StrictSchema):
    token = fields.String(required=True, validate=validate.Length(1, 4096))
    resource = fields.String(load_default=None, validate=KINDS)


def _terms(data: dict[str, Any]) -> agreements.Terms:
    return agreements.Terms(
        data["days_per_member_month"], data["days_total_month"], tuple(data["resource_kinds"])
    )


@operation(
    bp,
    "/agreements",
    "GET",
    "Twinning agreements and where each stands",
    admin=True,
    returns="AgreementList",
)
def list_agreements() -> Response:
    current = node()
    with current.db.read() as session:
        admin_token(session)
        views = agreements.list_views(session, current)
    return jsonify({"agreements": [v.as_dict() for v in views]})


@operation(
    bp,
    "/agreements/<agreement_id>",
    "GET",
    "One agreement",
    admin=True,
    responses={"200": "OK", "404": "Unknown"},
    returns="AgreementView",
)
def get_agreement(agreement_id: str) -> Response:
    current = node()
    with current.db.read() as session:
        admin_token(session)
        view = agreements.view(session, current, agreements.get(session, agreement_id))
    return jsonify(view.as_dict())


@operation(
    bp,
    "/agreements",
    "POST",
    "Propose an agreement to a partner (sent to its inbox through the outbox)",
    admin=True,
    body=ProposeSchema,
    responses={"201": "Proposed"},
    returns="AgreementView",
)
def propose_agreement() -> tuple[Response, int]:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        data = load(ProposeSchema(), json_body())
        ours = _terms(data["we_give"])
        theirs = _terms(data["they_give"]) if data["they_give"] else ours
        row = agreements.propose(
            session,
            current,
            data["partner"],
            ours,
            theirs,
            data["valid_from"].isoformat(),
            data["valid_until"].isoformat(),
        )
        body = agreements.view(session, current, row).as_dict()
    response = jsonify(body)
    response.headers["Location"] = url_for("twinning_api.get_agreement", agreement_id=body["id"])
    return response, 201


def _answer(step: str, agreement_id: str, **extra: Any) -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        if step == "accept":
            row = agreements.accept(session, current, agreement_id)
        elif step == "reject":
            data = load(RejectSchema(), optional_json_body())
            row = agreements.reject(session, current, agreement_id, data.get("reason"))
        else:
            data = load(TerminateSchema(), optional_json_body())
            effective = data.get("effective")
            row = agreements.terminate(
                session,
                current,
                agreement_id,
                effective.isoformat() if effective else None,
                data.get("reason"),
            )
        body = agreements.view(session, current, row).as_dict()
    return jsonify(body)


@operation(
    bp,
    "/agreements/<agreement_id>/accept",
    "POST",
    "Accept a proposal we received",
    admin=True,
    returns="AgreementView",
)
def accept_agreement(agreement_id: str) -> Response:
    return _answer("accept", agreement_id)


@operation(
    bp,
    "/agreements/<agreement_id>/reject",
    "POST",
    "Turn a proposal down",
    admin=True,
    body=RejectSchema,
    returns="AgreementView",
    body_optional=True,
)
def reject_agreement(agreement_id: str) -> Response:
    return _answer("reject", agreement_id)


@operation(
    bp,
    "/agreements/<agreement_id>/terminate",
    "POST",
    "End an active agreement (today, or after an effective day)",
    admin=True,
    body=TerminateSchema,
    returns="AgreementView",
    body_optional=True,
)
def terminate_agreement(agreement_id: str) -> Response:
    return _answer("terminate", agreement_id)


def _pass_json(issued: passes.IssuedPass) -> dict[str, Any]:
    return {
        "jti": issued.jti,
        "token": issued.token,
        "member_id": issued.member_id,
        "partner_id": issued.partner_id,
        "nbf": issued.nbf,
        "exp": issued.exp,
        "day": issued.day,
        "revoked": issued.revoked,
    }


@operation(
    bp,
    "/passes",
    "POST",
    "Issue a guest pass to a member for a partner space",
    admin=True,
    body=IssuePassSchema,
    responses={"201": "Issued"},
    returns="PassView",
)
def issue_pass() -> tuple[Response, int]:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        data = load(IssuePassSchema(), json_body())
        issued = passes.issue_pass(
            session, current, data["member_id"], data["partner"], data["day"]
        )
    response = jsonify(_pass_json(issued))
    response.headers["Location"] = url_for("twinning_api.list_passes", member_id=issued.member_id)
    return response, 201


@operation(
    bp,
    "/passes",
    "GET",
    "Live guest passes (?member_id=, ?partner=)",
    admin=True,
    returns="PassList",
)
def list_passes() -> Response:
    current = node()
    member = request.args.get("member_id")
    if member is not None and not member.isdigit():
        raise InvalidInput(
            "member_id: a member number", errors={"member_id": ["Not a valid integer."]}
        )
    with current.db.read() as session:
        admin_token(session)
        rows = passes.live_passes(
            session,
            current,
            int(member) if member is not None else None,
            request.args.get("partner") or None,
        )
    return jsonify({"passes": [_pass_json(p) for p in rows]})


@operation(
    bp,
    "/passes/<jti>/revoke",
    "POST",
    "Revoke a pass (published as a pass.revoke entry)",
    admin=True,
    responses={"204": "Revoked"},
)
def revoke_pass(jti: str) -> tuple[str, int]:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        passes.revoke_pass(session, current, jti)
    return "", 204


@operation(
    bp,
    "/checkins",
    "POST",
    "Check a guest pass in at our desk: admitted or refused with a reason",
    admin=True,
    body=CheckinSchema,
    returns="CheckinResult",
)
def checkin() -> Response:
    current = node()
    with current.db.write() as session:
        admin_token(session)
        data = load(CheckinSchema(), json_body())
        result = desk.check_in(session, current, data["token"], data["resource"])
    return jsonify(result.as_dict())


@operation(bp, "/checkins", "GET", "Today's guests", admin=True, returns="CheckinList")
def todays_checkins() -> Response:
    current = node()
    with current.db.read() as session:
        admin_token(session)
        visits = desk.todays_checkins(session, current)
    return jsonify(
        {
            "checkins": [
                {
                    "time": v.time.isoformat(),
                    "name": v.name,
                    "home_id": v.home_id,
                    "home_name": v.home_name,
                    "resource": v.resource,
                    "day": v.day.isoformat(),
                }
                for v in visits
            ]
        }
    )


def init_app(app: Flask) -> None:
    """Register the twinning API (a part of the twinning feature record)."""
    app.register_blueprint(bp)
