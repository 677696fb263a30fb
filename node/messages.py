"""Texts for people that are written where no language is known yet: the services' error details
and validation messages (ARCHITECTURE.md §Translations).

A :class:`Message` *is* its English text (a ``str``: the CLI, the logs and the JSON API use it as
it is) and also carries its English template and parameters, so that a page can show it in the
request's language later (``node.web.i18n.localized``). This module needs neither Flask nor a
catalogue: the use cases that raise these texts must not import the web layer.

Mark a text with :func:`N_`, the marker ``pybabel extract`` finds among its default keywords::

    raise InvalidInput(N_("no event %(event_id)s", event_id=event_id), reason="unknown-event")

Parameters are values (ids, names, numbers, user or peer text): they are put in as they are, and
a page escapes them with the rest of the text. A parameter that is itself a :class:`Message` is
translated too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Self

Translate = Callable[[str], str]


class Message(str):
    """An English text made of ``template % params``, translatable later."""

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, /, **params: Any) -> Self:
        text = super().__new__(cls, template % params if params else template)
        text.template = template
        text.params = params
        return text

    def translated(self, gettext: Translate) -> str:
        """The text in the language of ``gettext`` (a catalogue's ``gettext``); the English
        template when the catalogue lacks it."""
        template = gettext(self.template) or self.template
        if not self.params:
            return template
        values = {k: translated(v, gettext) for k, v in self.params.items()}
        return template % values

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self.template, dict(self.params)))


def _rebuild(cls: type[Message], template: str, params: dict[str, Any]) -> Message:
    return cls(template, **params)


def N_(template: str, /, **params: Any) -> Message:  # the conventional name of the marker
    """Mark ``template`` for the catalogue; the :class:`Message` of it with ``params``."""
    return Message(template, **params)


class Joined(Message):
    """Several texts shown as one (``"a; b"``): each part translated on its own."""

    parts: tuple[str, ...]
    separator: str

    def __new__(cls, parts: Iterable[str], separator: str = "; ") -> Self:
        items = tuple(parts)
        text = super().__new__(cls, "%(text)s", text=separator.join(items))
        text.parts, text.separator = items, separator
        return text

    def translated(self, gettext: Translate) -> str:
        return self.separator.join(translated(p, gettext) for p in self.parts)

    def __reduce__(self) -> Any:
        return (Joined, (self.parts, self.separator))


def joined(parts: Iterable[str], separator: str = "; ") -> str:
    """``parts`` as one text, a :class:`Joined` when any part is a :class:`Message`."""
    items = list(parts)
    if any(isinstance(p, Message) for p in items):
        return Joined(items, separator)
    return separator.join(items)


def translated(value: Any, gettext: Translate) -> Any:
    """``value`` in the language of ``gettext`` if it is a :class:`Message`, else unchanged."""
    return value.translated(gettext) if isinstance(value, Message) else value


# -- texts written by libraries: matched against their English templates -------------------------


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", template)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(regex, re.S)


class Recogniser:
    """Turns a library's finished English text back into a :class:`Message` when it matches one
    of ``templates`` (marked with :func:`N_` where the table is written, so they are in the
    catalogue). A text that matches none stays a plain ``Message`` of itself: the catalogue may
    still hold it (a fixed text marked elsewhere), or it shows in English."""

    def __init__(self, templates: Iterable[str]) -> None:
        self.templates = tuple(templates)
        self._patterns = [(t, _pattern(t)) for t in self.templates if "%(" in t]

    def __call__(self, text: str) -> Message:
        if isinstance(text, Message):
            return text
        for template, pattern in self._patterns:
            match = pattern.fullmatch(text)
            if match:
                return Message(template, **match.groupdict())
        return Message(text)
