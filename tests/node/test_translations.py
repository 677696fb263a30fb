"""The pages' translations (ARCHITECTURE.md §Translations): the Italian catalogue is complete and
current with the code, the compiled catalogue matches it, no template shows text that bypasses
the catalogue, and each request gets its language from the switch, the browser or the space."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from node.web.i18n import LANGUAGES
from tests.node.test_admin_pages import logged_in_admin
from tests.support import SpaceNode, make_node

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "node" / "translations"
TEMPLATES = ROOT / "node" / "templates"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}


def catalogue(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def extracted() -> set[object]:
    """The msgids of the code as pybabel extracts them with babel.cfg."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: set[object] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        # Plural messages come as a tuple of the forms (ngettext's first two arguments).
        found.add(message[:2] if isinstance(message, tuple) else message)
    return found


def shown_ids(catalog: Catalog) -> set[object]:
    return {m.id for m in catalog if m.id}


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_catalogue_holds_exactly_the_code_strings(language: str) -> None:
    code = extracted()
    held = catalogue(language)
    ids = shown_ids(held)
    missing = sorted(map(str, code - ids))
    stale = sorted(map(str, ids - code))
    assert not missing, f"strings in the code the {language} catalogue lacks: {missing[:10]}"
    assert not stale, f"strings the {language} catalogue keeps that no code uses: {stale[:10]}"
    assert not held.obsolete, f"obsolete entries kept: {list(held.obsolete)[:10]}"


PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|\{\w+\}")
TAG = re.compile(r"</?[a-z]+")


def _forms(value: object) -> list[str]:
    return list(value) if isinstance(value, tuple | list) else [str(value)]


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_string_is_translated_with_the_same_placeholders(language: str) -> None:
    for message in catalogue(language):
        if not message.id:
            continue
        sources = _forms(message.id)
        targets = _forms(message.string)
        assert all(t.strip() for t in targets), f"untranslated: {message.id!r}"
        wanted = Counter(PLACEHOLDER.findall(sources[-1]))
        for target in targets:
            got = Counter(PLACEHOLDER.findall(target))
            # A singular may leave the number out ("un giorno"); nothing else may differ.
            assert set(got) - set(wanted) == set(), f"{message.id!r}: unknown {got - wanted}"
            assert set(wanted) - {"%(num)d"} <= set(got), f"{message.id!r}: lost a placeholder"
            assert Counter(TAG.findall(target)) == Counter(TAG.findall(sources[-1])), (
                f"{message.id!r}: markup differs"
            )


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_compiled_catalogue_matches_its_source(language: str) -> None:
    """The committed .mo is what ``pybabel compile`` makes of the .po (ARCHITECTURE.md
    §Translations says why it is committed)."""
    compiled = BytesIO()
    write_mo(compiled, catalogue(language))
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        committed = read_mo(handle)
    compiled.seek(0)
    fresh = read_mo(compiled)
    assert _pairs(committed) == _pairs(fresh)


def _pairs(catalog: Catalog) -> dict[object, object]:
    """msgid → msgstr, plural forms as tuples (read_mo gives lists)."""

    def frozen(value: object) -> object:
        return tuple(value) if isinstance(value, list | tuple) else value

    return {frozen(m.id): frozen(m.string) for m in catalog if m.id}


# -- templates: no text that bypasses the catalogue -------------------------------------------

JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
HTML_TAG = re.compile(r"<[^<>]*>")
PEOPLE_ATTRIBUTES = re.compile(r'(?:aria-label|title|placeholder|alt)="([^"\x00]*)"')
LITERAL = re.compile(r"""(?<![\w.])(['"])((?:(?!\1).)*)\1""")
TRANSLATED = re.compile(
    r"\b(?:_|gettext|ngettext)\(\s*(['\"]).*?(?<!\\)\1(\s*,\s*(['\"]).*?(?<!\\)\3)?", re.S
)


def untranslated(source: str) -> list[str]:
    """Words a template would show as written: text between tags and in the attributes people
    read, and string literals that are sentences or capitalised words, outside ``_()``."""
    source = re.sub(r"<(style|script)\b.*?</\1>", "", source, flags=re.S)
    found = []
    data = JINJA.sub("\x00", source)
    data = HTML_TAG.sub(lambda m: " ".join(PEOPLE_ATTRIBUTES.findall(m.group(0))) + " ", data)
    # An example identifier in a placeholder (did:key:…) is not text to translate.
    data = re.sub(r"\bdid:key:\S*", "", data)
    found += [t.strip() for t in data.split("\x00") if re.search(r"[A-Za-z]{2,}", t)]
    for construct in JINJA.findall(source):
        if construct.startswith("{#"):
            continue
        for match in LITERAL.finditer(TRANSLATED.sub("", construct)):
            text = match.group(2)
            words = re.search(r"[A-Za-z]{2,}", text)
            if words and (" " in text or re.fullmatch(r"[A-Z][a-z]+.*", text)):
                found.append(text)
    return found


def test_untranslated_finds_bare_text() -> None:
    assert untranslated("<p>Hello</p>") == ["Hello"]
    assert untranslated('<nav aria-label="Site"></nav>') == ["Site"]
    assert untranslated("{{ post_button(url, 'Log out') }}") == ["Log out"]
    assert untranslated("<p>{{ _('Hello') }} · {{ name }}</p>") == []
    assert untranslated("{{ ngettext('%(num)d day', '%(num)d days', n) }}") == []


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))
)
def test_templates_show_no_text_outside_the_catalogue(template: str) -> None:
    assert untranslated((TEMPLATES / template).read_text("utf-8")) == []


# -- which language a request gets -------------------------------------------------------------


class _Text(HTMLParser):
    """The text a person sees on a page (script and style left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "title"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def html_lang(html: str) -> str:
    match = re.search(r'<html lang="([a-z]+)">', html)
    assert match
    return match.group(1)


@pytest.fixture
def furnished(space: SpaceNode) -> SpaceNode:
    space.client.post(
        "/api/v1/resources",
        json={
            "kind": "meeting_room",
            "name": "Board room",
            "capacity": 8,
            "price_hour_minor": 2550,
            "currency": "EUR",
        },
        headers=space.auth(),
    )
    return space


def test_english_when_nothing_chooses(furnished: SpaceNode) -> None:
    response = furnished.client.get("/")
    page = response.get_data(as_text=True)
    assert html_lang(page) == "en"
    assert response.headers["Content-Language"] == "en"
    assert "Desks and rooms" in page
    assert "25.50 EUR per hour" in page


def test_the_switch_chooses_and_is_remembered(furnished: SpaceNode) -> None:
    english = furnished.client.get("/").get_data(as_text=True)
    switch = re.search(r'<a href="([^"]+)" lang="it"', english)
    assert switch, "every page links to its Italian version"
    response = furnished.client.get(switch.group(1))
    page = response.get_data(as_text=True)
    assert html_lang(page) == "it"
    assert "Postazioni e sale" in page
    assert "25,50 EUR all'ora" in visible(page)
    assert "Sala riunioni" in page
    assert "spazi_lang=it" in response.headers["Set-Cookie"]
    # The cookie keeps Italian on the next page, whatever the browser asks for.
    later = furnished.client.get("/events", headers={"Accept-Language": "en"})
    assert html_lang(later.get_data(as_text=True)) == "it"
    assert "Accept-Language" in later.headers["Vary"]
    # And the switch back to English works the same way.
    back = furnished.client.get("/events?lang=en").get_data(as_text=True)
    assert html_lang(back) == "en"
    assert html_lang(furnished.client.get("/").get_data(as_text=True)) == "en"


def test_an_unknown_language_in_the_switch_is_ignored(furnished: SpaceNode) -> None:
    response = furnished.client.get("/?lang=xx")
    assert html_lang(response.get_data(as_text=True)) == "en"
    assert "Set-Cookie" not in response.headers


def test_accept_language_chooses(furnished: SpaceNode) -> None:
    headers = {"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"}
    page = furnished.client.get("/", headers=headers).get_data(as_text=True)
    assert html_lang(page) == "it"
    assert "Prossimi eventi" in page
    page = furnished.client.get("/", headers={"Accept-Language": "de-DE,en;q=0.3"})
    assert html_lang(page.get_data(as_text=True)) == "en"


def test_the_space_default_chooses_when_the_browser_does_not(tmp_path: Path) -> None:
    space = make_node(tmp_path, settings={"language": "it"})
    page = space.client.get("/").get_data(as_text=True)
    assert html_lang(page) == "it"
    assert "Vai al contenuto" in page
    # A browser asking for English still gets English.
    english = space.client.get("/", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert html_lang(english) == "en"


def test_error_pages_follow_the_language(furnished: SpaceNode) -> None:
    response = furnished.client.get("/events/nothing-here?lang=it", headers={"Accept": "text/html"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Non trovato" in page
    assert "Vai alla pagina iniziale" in page


def test_the_api_stays_english(furnished: SpaceNode) -> None:
    response = furnished.client.get(
        "/api/v1/nothing", headers={"Accept-Language": "it", "Cookie": "spazi_lang=it"}
    )
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["title"] == "Not Found"


_ITALIAN = {m.id: m.string for m in catalogue("it") if isinstance(m.id, str) and m.id}


def _english_pattern(msgid: str) -> re.Pattern[str] | None:
    """A pattern for the English text of ``msgid`` as a page shows it (its placeholders any
    text), or None when its fixed words are too few to tell it from Italian or from a name."""
    parts = re.split(r"%\(\w+\)[sdr]", msgid)
    if sum(len(p.strip(" :;.,()")) for p in parts) < 14 or _ITALIAN[msgid] == msgid:
        return None
    return re.compile(".+?".join(re.escape(p) for p in parts))


ENGLISH_PATTERNS = [(i, p) for i in _ITALIAN if (p := _english_pattern(i)) is not None]


def english_shown(text: str) -> list[str]:
    """The catalogue's English texts, with any values in their placeholders, found in
    ``text``: what an Italian page must not show."""
    return sorted(msgid for msgid, pattern in ENGLISH_PATTERNS if pattern.search(text))


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/events",
        "/network",
        "/network/events",
        "/admin/login",
        "/admin",
        "/admin/profile",
        "/admin/resources/new",
        "/admin/events/new",
        "/admin/network",
        "/admin/members",
        "/admin/tokens",
        "/admin/users",
        "/admin/password",
        "/admin/cohosts",
        "/admin/partners",
        "/admin/reports",
        "/admin/bookings",
        "/admin/calendars",
        "/admin/desk",
        "/book",
    ],
)
def test_italian_pages_show_no_english_catalogue_string(furnished: SpaceNode, path: str) -> None:
    if path.startswith(("/admin", "/desk")) and path != "/admin/login":
        logged_in_admin(furnished)
    response = furnished.client.get(path + "?lang=it")
    assert response.status_code == 200, path
    text = visible(response.get_data(as_text=True))
    assert "Vai al contenuto" in text
    shown = english_shown(text)
    assert not shown, f"{path} shows English: {shown}"


def test_init_sets_the_space_language_and_refuses_others(tmp_path: Path, capsys) -> None:
    from node.cli import main
    from node.settings import load_settings

    url = ("--name", "Cubo", "--url", "https://cubo.example")
    assert main(["init", str(tmp_path / "bad"), *url, "--language", "fr"]) != 0
    _, err = capsys.readouterr()
    assert 'setting language must be one of "en", "it"' in err and "Traceback" not in err
    assert not (tmp_path / "bad").exists()
    assert main(["init", str(tmp_path / "cubo"), *url, "--language", "it"]) == 0
    assert load_settings(tmp_path / "cubo", environ={})["language"] == "it"


def test_an_admin_invitation_is_mailed_in_the_space_language(tmp_path: Path) -> None:
    from node.services.admin_auth import create_user
    from node.services.admin_invites import compose_invite

    space = make_node(tmp_path, "Cubo", settings={"language": "it", "smtp_host": "127.0.0.1"})
    with space.node.db.write() as session:
        user = create_user(session, "nuova@cubo.example", "una password lunga 123")
        _link, subject, body = compose_invite(session, space.node, user)
    assert subject == "Sei invitato: amministrazione di Cubo"
    assert body.startswith("Puoi accedere alle pagine di amministrazione di Cubo")
    assert "Se non te lo aspettavi, ignora questa mail." in body


def test_mail_texts_fall_back_to_the_space_language() -> None:
    from node.texts import Texts, for_recipient

    assert for_recipient({"language": "it"})("Hello %(name)s,", name="Ada") == "Ciao Ada,"
    assert for_recipient({"language": "it"}, "en")("Hello %(name)s,", name="Ada") == "Hello Ada,"
    assert for_recipient({"language": "en"}, "fr")("Your guest pass") == "Your guest pass"
    assert Texts("it").when(None, None) == "tutto il giorno"
    assert Texts("it").kind("Meeting room") == "Sala riunioni"
