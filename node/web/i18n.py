"""The language of the pages: Flask-Babel, its catalogues in ``node/translations``, and which
language a request gets (ARCHITECTURE.md §Translations).

A request's language is, first of all, the one a person picked with the switch on every page
(``?lang=`` on any page address, then remembered in a cookie), then the best match of the
browser's ``Accept-Language``, then the space's ``language`` setting, and English when nothing
chooses. The JSON API and the federation endpoints stay English whatever is asked: their
problem documents are a contract with programs, not text for people.

The services' error texts (:class:`node.messages.Message`, marked with ``N_``) are put in the
request's language here, in one place: every ``{{ value }}`` of a template goes through
:func:`localized` (Jinja's ``finalize``), and a page that keeps a text past the request (a
flash message) calls it itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, g, has_request_context, request
from flask_babel import Babel, get_locale, get_translations
from jinja2 import pass_context

from node.http.context import node
from node.messages import Message

# The languages the catalogues hold, English (the source language) first.
LANGUAGES = ("en", "it")
NAMES = {"en": "English", "it": "Italiano"}
DEFAULT = "en"
COOKIE = "spazi_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def _choice(value: str | None) -> str | None:
    """``value`` if it names a language we have (any case), else None."""
    text = (value or "").strip().lower()
    return text if text in LANGUAGES else None


def _space_default() -> str:
    """The space's ``language`` setting (English if the node cannot be read)."""
    try:
        return _choice(node().settings.get("language")) or DEFAULT
    except Exception:  # an error page must render even when the node is half up
        return DEFAULT


def select_language() -> str:
    """The language of the current request: the switch (``?lang=``, then its cookie), then
    ``Accept-Language``, then the space's default, then English."""
    if "spazi_lang" in g:
        return str(g.spazi_lang)
    chosen = (
        _choice(request.args.get("lang"))
        or _choice(request.cookies.get(COOKIE))
        or request.accept_languages.best_match(LANGUAGES)
        or _space_default()
    )
    g.spazi_lang = chosen
    return chosen


def current_language() -> str:
    """The language being rendered in: the request's, or English outside a request."""
    if not has_request_context():
        return DEFAULT
    locale = get_locale()
    return str(locale.language) if locale is not None else DEFAULT


def localized(value: Any) -> Any:
    """``value`` in the request's language when it is a service's text
    (:class:`node.messages.Message`), anything else as it is. Its parameters stay values: a
    template escapes the whole text, so a name or a peer's words cannot become markup."""
    # Every {{ value }} of every page comes here: the type test goes first, as it is the cheap one.
    if not isinstance(value, Message) or not has_request_context():
        return value
    return value.translated(get_translations().gettext)


def _localizing_values(function: Callable[..., Any]) -> Callable[..., Any]:
    """Jinja's ``gettext`` (installed by Flask-Babel) with its named values put in the
    request's language first."""

    @pass_context
    def call(context: Any, *args: Any, **values: Any) -> Any:
        return function(context, *args, **{k: localized(v) for k, v in values.items()})

    return call


def switch_links() -> list[dict[str, Any]]:
    """The language switch of the page: for each language, its name and the current address
    with ``?lang=`` set (the other query parameters kept)."""
    args = {k: v for k, v in request.args.items(multi=True) if k != "lang"}
    links = []
    for code in LANGUAGES:
        query = urlencode([*args.items(), ("lang", code)])
        links.append(
            {
                "code": code,
                "name": NAMES[code],
                "href": f"{request.script_root}{request.path}?{query}",
                "current": code == current_language(),
            }
        )
    return links


def remember_choice(response: Response) -> Response:
    """Keep a language picked with ``?lang=`` in a cookie, and say which header chose the
    page's language so that caches keep the variants apart."""
    picked = _choice(request.args.get("lang"))
    if picked and request.cookies.get(COOKIE) != picked and response.status_code < 400:
        response.set_cookie(
            COOKIE, picked, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True, path="/"
        )
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        response.headers.setdefault("Content-Language", current_language())
    return response


def init_app(app: Flask) -> None:
    """Flask-Babel with the package's catalogues and the language choice above."""
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT
    Babel(app, locale_selector=select_language)
    app.jinja_env.globals.update(language_links=switch_links, page_language=current_language)
    app.jinja_env.finalize = localized
    # A service's text may also be a value in a sentence of the page
    # (``_('<strong>Not done.</strong> %(message)s', message=exc.detail)``): it goes into the
    # sentence in the same language.
    for name in ("gettext", "ngettext", "pgettext", "npgettext"):
        if name in app.jinja_env.globals:
            installed = app.jinja_env.globals[name]
            assert callable(installed)
            app.jinja_env.globals[name] = _localizing_values(installed)
    app.after_request(remember_choice)
