"""The services' error texts in the page's language (ARCHITECTURE.md §Translations): a
:class:`node.messages.Message` is English wherever it is a string (CLI, logs, the JSON API) and
is shown in Italian on an Italian page; forms submitted with bad input answer in Italian, with
no English text of the catalogue on the page."""

from __future__ import annotations

import json
import pickle
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS
from marshmallow import fields, validate

from federation import passes
from federation.schema import text_problem as protocol_text_problem
from node.errors import InvalidInput, NotFound
from node.messages import N_, Joined, Message, joined, translated
from node.services.validation import LIBRARY_TEXTS, text_problem
from node.texts import Texts
from node.twinning.desk import PASS_REASON_TEXTS
from tests.node.test_admin_pages import EMAIL, csrf_token, logged_in_admin, post_form
from tests.node.test_people_pages import FORM, _member_page, prato  # noqa: F401 - fixture
from tests.node.test_translations import catalogue, english_shown, visible
from tests.support import SpaceNode

ITALIAN = Texts("it")._catalogue.gettext


# -- the mechanism --------------------------------------------------------------------------


def test_a_message_is_its_english_text_and_translates_later() -> None:
    text = N_("no member %(member_id)s", member_id=7)
    assert text == "no member 7" and isinstance(text, str)
    assert json.dumps({"detail": text}) == '{"detail": "no member 7"}'
    assert text.translated(ITALIAN) == "nessun membro 7"
    # A parameter that is itself a message is translated with it; values stay as given.
    nested = N_("line %(number)s: %(message)s", number=2, message=N_("not a valid email address"))
    assert nested == "line 2: not a valid email address"
    assert translated(nested, ITALIAN) == "riga 2: indirizzo e-mail non valido"
    assert translated("plain text", ITALIAN) == "plain text"
    # A text the catalogue lacks shows in English rather than not at all.
    assert N_("not in the catalogue %(x)s", x=1).translated(ITALIAN) == "not in the catalogue 1"


def test_joined_messages_translate_part_by_part() -> None:
    both = joined([N_("write a message"), "a peer's own words"])
    assert isinstance(both, Joined) and both == "write a message; a peer's own words"
    assert both.translated(ITALIAN) == "scrivi un messaggio; a peer's own words"
    assert joined(["a", "b"]) == "a; b" and not isinstance(joined(["a", "b"]), Message)


def test_messages_survive_pickling() -> None:
    """An error can cross a process boundary (a worker's result) and still translate."""
    for text in (N_("no token %(token_id)s", token_id=3), joined([N_("empty"), "x"])):
        again = pickle.loads(pickle.dumps(text))
        assert again == text and again.translated(ITALIAN) == text.translated(ITALIAN)


def test_errors_stay_english_for_the_cli_and_name_their_field() -> None:
    error = InvalidInput(N_("use at least %(count)s characters", count=12), field="password")
    assert str(error) == error.detail == "password: use at least 12 characters"
    assert error.field == "password" and error.message == "use at least 12 characters"
    assert translated(error.message, ITALIAN) == "usa almeno 12 caratteri"
    plain = NotFound("no such thing")
    assert plain.field is None and plain.message == plain.detail == "no such thing"


def test_the_marker_is_one_pybabel_extracts() -> None:
    """``N_`` is among pybabel's default keywords: the catalogue-vs-extraction test of
    test_translations.py covers every marked text, with no option to remember."""
    assert "N_" in DEFAULT_KEYWORDS
    ids = {m.id for m in catalogue("it")}
    assert "no member %(member_id)s" in ids
    assert "Length must be between %(min)s and %(max)s." in ids


def _template(text: str) -> str:
    return re.sub(r"\{\{?(\w+)\}?\}", r"%(\1)s", text)


def test_every_marshmallow_message_the_schemas_can_give_is_recognised() -> None:
    """The table of library texts follows marshmallow: each default message of the fields and
    validators the schemas use is one of its templates (a new wording fails here)."""
    wanted = set()
    for cls in (
        fields.Field,
        fields.String,
        fields.Integer,
        fields.Boolean,
        fields.Date,
        fields.Email,
        fields.List,
        fields.Nested,
    ):
        wanted |= {_template(v) for v in cls.default_error_messages.values()}
    wanted.discard(_template(fields.Date.default_error_messages["format"]))  # loading only
    for cls in (validate.Regexp, validate.URL, validate.Email):
        wanted.add(cls.default_message)
    wanted |= {
        _template(validate.Length.message_min),
        _template(validate.Length.message_max),
        _template(validate.Length.message_all),
        _template(validate.Length.message_equal),
        _template(validate.OneOf.default_message),
        "Must be greater than or equal to %(min)s and less than or equal to %(max)s.",
        "Must be greater than or equal to %(min)s.",
        "Must be less than or equal to %(max)s.",
        "Unknown field.",
    }
    assert wanted <= set(LIBRARY_TEXTS.templates), wanted - set(LIBRARY_TEXTS.templates)
    # Range's wording is built from parts: check the finished text matches.
    error = validate.Range(1, 10)
    with pytest.raises(Exception) as caught:
        error(0)
    shown = LIBRARY_TEXTS(str(caught.value.messages[0]))  # type: ignore[attr-defined]
    assert shown.translated(ITALIAN) == "Deve essere compreso tra 1 e 10."
    length = LIBRARY_TEXTS("Length must be between 1 and 200.")
    assert length.translated(ITALIAN) == "La lunghezza deve essere tra 1 e 200."


def test_the_protocol_texts_shown_on_pages_are_the_protocols() -> None:
    assert PASS_REASON_TEXTS == passes.PASS_REASONS
    for value, lines in (("a\tb", False), ("a\x01b", True), ("a\x07", False)):
        problem = text_problem(value, lines)
        assert problem == protocol_text_problem(value, lines)
        assert isinstance(problem, Message) and problem.template != problem


# -- pages in Italian: forms with bad input -------------------------------------------------


def test_english_shown_finds_templated_and_plain_texts() -> None:
    shown = english_shown("Errore: the message is 6000 characters; at most 5000.")
    assert shown == ["the message is %(count)s characters; at most %(max_message)s"]
    assert english_shown("La lunghezza deve essere tra 1 e 200.") == []
    assert "Missing data for required field." in english_shown("Missing data for required field.")


def _italian_page(response: Any, *expected: str) -> str:
    text = unescape(visible(response.get_data(as_text=True)))
    assert "Vai al contenuto" in text, "an Italian page"
    assert not english_shown(text), english_shown(text)
    for words in expected:
        assert words in text, f"{words!r} not in {text[:2000]}"
    return text


@pytest.fixture
def admin_it(space: SpaceNode) -> SpaceNode:
    logged_in_admin(space)
    space.client.set_cookie("spazi_lang", "it")
    return space


def test_a_failed_login_is_in_italian(space: SpaceNode) -> None:
    space.app.config["WTF_CSRF_ENABLED"] = True
    space.client.set_cookie("spazi_lang", "it")
    token = csrf_token(space.client, "/admin/login")
    response = space.client.post(
        "/admin/login", data={"email": "nobody@example.org", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 403
    _italian_page(response, "e-mail o password sbagliate")


def test_the_event_form_explains_each_field_in_italian(admin_it: SpaceNode) -> None:
    form = {
        "title": "",
        "start": "2026-12-10T18:00",
        "end": "2026-12-10T17:00",
        "timezone": "Europe/Rome",
        "capacity": "lots",
        "price": "-3",
        "currency": "",
        "tags": "",
        "description": "",
    }
    response = post_form(admin_it, "/admin/events/new", form)
    assert response.status_code == 422
    _italian_page(
        response,
        "Non salvato.",
        "un prezzo non può essere negativo",
        "La lunghezza deve essere tra 1 e 200.",
        "Non è un numero intero valido.",
    )
    # The same event through the form with only the order of times wrong.
    fixed = {**form, "title": "Aperitivo", "capacity": "20", "price": ""}
    response = post_form(admin_it, "/admin/events/new", fixed)
    assert response.status_code == 422
    _italian_page(response, "la fine deve essere dopo l'inizio")


def test_the_profile_form_explains_formats_in_italian(admin_it: SpaceNode) -> None:
    page = admin_it.client.get("/admin/profile").get_data(as_text=True)
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    form.pop("csrf_token", None)
    form.update(
        latitude="45.1",
        longitude="",
        opening_hours="Mon-Fri 08:00-20:00\nSomeday 09:00-12:00\nSat 25:00-26:00",
        links="nothing here",
        contact_email="not-an-address",
    )
    response = post_form(admin_it, "/admin/profile", form)
    assert response.status_code == 422
    _italian_page(
        response,
        "indica sia la latitudine sia la longitudine",
        "regola 2: giorno sconosciuto 'Someday'",
        "regola 3: 25:00 non è un orario (da 00:00 a 23:59)",
        "riga 1: scrivi Titolo | https://… (ricevuto 'nothing here')",
    )
    # With the parsing right, the schema's own message (an e-mail) is Italian too.
    form.update(longitude="9.2", opening_hours="Mon-Fri 08:00-20:00", links="")
    response = post_form(admin_it, "/admin/profile", form)
    assert response.status_code == 422
    _italian_page(response, "Indirizzo e-mail non valido.")


def test_the_member_form_refuses_in_italian(admin_it: SpaceNode) -> None:
    response = post_form(
        admin_it, "/admin/members", {"name": "Ada", "email": "not an address", "plan": ""}
    )
    assert response.status_code == 422
    _italian_page(response, "Indirizzo e-mail non valido.")
    assert post_form(
        admin_it, "/admin/members", {"name": "Ada", "email": "ada@example.org", "plan": ""}
    ).status_code in (200, 201, 302)
    again = post_form(
        admin_it, "/admin/members", {"name": "Ada", "email": "ada@example.org", "plan": ""}
    )
    assert again.status_code == 409
    _italian_page(again, "esiste già un membro con l'e-mail ada@example.org")


def _network_post(space: SpaceNode, path: str, data: dict[str, str]) -> Any:
    token = csrf_token(space.client, "/admin/network")
    return space.client.post(path, data={**data, "csrf_token": token})


def test_the_network_forms_refuse_in_italian(admin_it: SpaceNode) -> None:
    bad = _network_post(admin_it, "/admin/network/block", {"node_id": "spazi-invite:nonsense"})
    assert bad.status_code == 422
    _italian_page(bad, "'spazi-invite:nonsense' non è un id di nodo (did:key:z6Mk…)")
    self_block = _network_post(admin_it, "/admin/network/block", {"node_id": admin_it.id})
    assert self_block.status_code == 409
    _italian_page(self_block, "un nodo non può bloccare se stesso")
    unknown = _network_post(admin_it, "/admin/network/approve", {"node_id": "did:key:z6Mknobody"})
    assert unknown.status_code == 409
    # The machine's words (the step, the state) stay codes inside the Italian sentence.
    _italian_page(unknown, "operazione «approve» non consentita per un nodo collegato")


def test_the_password_change_refuses_in_italian(admin_it: SpaceNode) -> None:
    from node.services.admin_auth import MIN_PASSWORD
    from tests.node.test_admin_pages import PASSWORD

    path = "/admin/password"
    short = post_form(admin_it, path, {"current": PASSWORD, "new": "short", "repeat": "short"})
    assert short.status_code == 422
    _italian_page(short, f"Usa almeno {MIN_PASSWORD} caratteri.")
    differ = post_form(
        admin_it,
        path,
        {"current": PASSWORD, "new": "a long new password", "repeat": "another long one"},
    )
    _italian_page(differ, "Le due nuove password sono diverse.")
    wrong = post_form(admin_it, path, {"current": "nope", "new": "x" * 20, "repeat": "x" * 20})
    _italian_page(wrong, "La password attuale è sbagliata.")
    assert EMAIL  # the admin of logged_in_admin is the one who is refused


def test_a_bad_guest_pass_is_refused_in_italian(space: SpaceNode) -> None:
    space.client.set_cookie("spazi_lang", "it")
    response = space.client.post("/book", data={"pass": "garbage"})
    assert response.status_code == 409
    _italian_page(response, "Questo non è un pass ospite Spazi leggibile.")


def test_the_call_answer_form_refuses_in_italian(space: SpaceNode) -> None:
    from node.services.members import add_member
    from node.twinning.member_links import member_link

    with space.node.db.write() as session:
        member = add_member(session, {"name": "Ada", "email": "ada@example.org"})
        secret = member_link(session, space.node, member.id).rsplit("/", 1)[1]
    space.client.set_cookie("spazi_lang", "it")
    response = space.client.post(
        f"/m/{secret}/projects/did:key:z6Mkelsewhere/restauro", data={"message": "Ciao"}
    )
    assert response.status_code == 404
    _italian_page(response, "nessun invito 'restauro'")


def test_the_contact_form_refuses_in_italian(prato: SpaceNode) -> None:  # noqa: F811
    _member_id, path = _member_page(prato)
    prato.client.post(path, data={**FORM, "consent": "yes", "action": "publish"})
    contact = prato.client.get("/api/v1/people").get_json()["people"][0]["contact_url"]
    contact_path = contact.removeprefix("http://prato.test")
    prato.client.set_cookie("spazi_lang", "it")
    refused = prato.client.post(contact_path, data={"email": "a@example.org", "message": "Ciao"})
    assert refused.status_code == 400
    _italian_page(refused, "Modulo rifiutato", "Manca il token CSRF.")
    token = csrf_token(prato.client, contact_path)
    bad = prato.client.post(
        contact_path, data={"email": "not an address", "message": "Ciao", "csrf_token": token}
    )
    assert bad.status_code == 422
    _italian_page(bad, "indica il tuo indirizzo e-mail (nome@example.org)")
    empty = prato.client.post(
        contact_path, data={"email": "a@example.org", "message": "", "csrf_token": token}
    )
    _italian_page(empty, "scrivi un messaggio")


def test_the_events_widget_takes_its_words_from_the_catalogue(space: SpaceNode) -> None:
    english = space.client.get("/network/embed/events?city=Prato").get_data(as_text=True)
    assert "Upcoming events in Prato" in english and "No upcoming events." in english
    italian = space.client.get("/network/embed/events?city=Prato&lang=it")
    page = unescape(italian.get_data(as_text=True))
    assert "Prossimi eventi a Prato" in page and "Nessun evento in programma." in page
    assert "si apre in una nuova scheda" in page and not english_shown(visible(page))
    # The widget's language is its own ?lang=, whatever the visitor's cookie says.
    space.client.set_cookie("spazi_lang", "it")
    assert "Upcoming events" in space.client.get("/network/embed/events").get_data(as_text=True)


# -- the API stays English --------------------------------------------------------------------


def test_the_api_details_stay_english_whatever_is_asked(space: SpaceNode) -> None:
    response = space.client.post(
        "/api/v1/events",
        json={"title": "", "start": "2026-12-10T18:00", "end": "2026-12-10T19:00"},
        headers={**space.auth(), "Accept-Language": "it", "Cookie": "spazi_lang=it"},
    )
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["detail"] == "title: Length must be between 1 and 200."
    assert problem["errors"] == {"title": ["Length must be between 1 and 200."]}
    missing = space.client.get(
        "/api/v1/members/999", headers={**space.auth(), "Accept-Language": "it"}
    )
    assert missing.get_json()["detail"] == "no member 999"


def test_the_cli_stays_english(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from node.cli import main

    url = ("--name", "Cubo", "--url", "https://cubo.example", "--language", "it")
    assert main(["init", str(tmp_path / "cubo"), *url]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path / "cubo"), "member", "suspend", "999"]) != 0
    _out, err = capsys.readouterr()
    assert "no member 999" in err


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://a b.example",
        "ftp://calendar.example/x.ics",
        "https://user:pw@calendar.example/x.ics",
        "https://",
        "https://calendar.example:70000/x.ics",
        "https://0x7f.1/x.ics",
    ],
)
def test_every_address_refusal_of_the_protocol_is_recognised(url: str) -> None:
    from federation.errors import TransportError
    from federation.transport.safety import check_url
    from node.calendar_import.sync import URL_TEXTS

    with pytest.raises(TransportError) as caught:
        check_url(url)
    text = URL_TEXTS(caught.value.detail)
    assert text.template in URL_TEXTS.templates
    assert text.translated(ITALIAN) != text


def test_the_calendar_import_refuses_an_address_in_italian(admin_it: SpaceNode) -> None:
    response = post_form(admin_it, "/admin/calendars", {"url": "ftp://calendar.example/x.ics"})
    assert response.status_code == 422
    _italian_page(response, "lo schema 'ftp' non è http né https")


def test_an_import_summary_is_english_for_the_cli_and_italian_on_the_page() -> None:
    from node.calendar_import.sync import SyncReport

    report = SyncReport(added=["a", "b"], updated=[], cancelled=["c"], unchanged=4, skipped=1)
    summary = report.summary()
    assert summary == "2 added, 0 updated, 1 cancelled, 4 unchanged, 1 skipped (not valid events)"
    assert translated(summary, ITALIAN) == (
        "aggiunti: 2, aggiornati: 0, annullati: 1, invariati: 4, saltati perché non validi: 1"
    )
    unchanged = SyncReport(not_modified=True).summary()
    assert translated(unchanged, ITALIAN) == "il calendario non è cambiato dall'ultima importazione"


def test_the_call_form_explains_each_field_in_italian(admin_it: SpaceNode) -> None:
    token = csrf_token(admin_it.client, "/admin/projects")
    response = admin_it.client.post(
        "/admin/projects",
        data={"title": "", "deadline": "domani", "csrf_token": token},
    )
    assert response.status_code == 422
    text = _italian_page(response)
    assert "Missing data" not in text and "Not a valid" not in text
