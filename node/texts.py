"""Texts for people outside the page templates: mails, in English or Italian, from the same
catalogues as the pages (ARCHITECTURE.md §Translations).

A mail goes out in its recipient's language where the node knows it (the person who asked for it
on a page, in that page's language) and in the space's ``language`` setting otherwise. This module
needs no Flask request: mails are also composed by the CLI and by inbox handlers.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

# The languages the catalogues hold, English (the language of the code) first.
LANGUAGES = ("en", "it")
DEFAULT = "en"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def known(language: str | None) -> str | None:
    """``language`` (any case, spaces around) if the catalogues hold it, else None."""
    text = (language or "").strip().lower()
    return text if text in LANGUAGES else None


@functools.cache
def _catalogue(language: str) -> NullTranslations:
    if language == DEFAULT:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language], "messages")


class Texts:
    """``gettext`` for one language: ``_ = Texts("it")``, then ``_("Hello %(name)s", name=n)``
    (``pybabel extract`` finds the ``_(…)`` calls like any other)."""

    def __init__(self, language: str | None) -> None:
        self.language = known(language) or DEFAULT
        self._catalogue = _catalogue(self.language)

    def __call__(self, message: str, /, **values: Any) -> str:
        text = self._catalogue.gettext(message)
        return text % values if values else text

    def when(self, start: str | None, end: str | None) -> str:
        """A booking's time: ``14:00–16:00`` for a room, ``all day`` for a desk."""
        _ = self  # so that pybabel extract finds the text
        return f"{start}–{end}" if start else _("all day")

    def kind(self, label: str) -> str:
        """A resource kind's English label (``node.formats.resource_kind_label``) in this
        language: the pages' catalogue holds the same words."""
        return self(label)


def space_language(settings: dict[str, Any]) -> str:
    """The space's default language: its ``language`` setting."""
    return known(settings.get("language")) or DEFAULT


def for_recipient(settings: dict[str, Any], language: str | None = None) -> Texts:
    """The texts of a mail: in ``language`` when the recipient's is known, else the space's."""
    return Texts(known(language) or space_language(settings))


def quoted(text: str) -> str:
    """Someone else's text inside a mail of ours, each line behind ``> ``: a message from a
    peer or a stranger cannot pass its lines off as the mail's own (a fake link or closing)."""
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())
