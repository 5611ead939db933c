"""German first: every text a person reads goes through gettext; English where the locale asks for it.

The source texts are English (the msgids); the German catalogue ``locale/de/LC_MESSAGES/engagiert.po``
translates them, managed with Babel (``make i18n`` extracts and updates it; ``make setup`` compiles the
``.mo`` the program reads). The language is chosen per call from the environment, as gettext does
(LANGUAGE, LC_ALL, LC_MESSAGES, LANG): English when it names English (``LANG=en_GB.UTF-8``), German
otherwise, also when nothing is set. Machine-readable output (JSON keys, state ids) is never translated.

Command and option help is written in the code as English docstrings and help strings and translated when
it is shown (see cli/base.py), so ``--help`` follows the same rule.
"""

from __future__ import annotations

import datetime
import gettext
import os
from functools import lru_cache
from pathlib import Path

DOMAIN = "engagiert"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def language() -> str:
    """"en" or "de": the first locale variable that is set decides (the order gettext uses)."""
    for variable in LANGUAGE_VARIABLES:
        value = os.environ.get(variable, "")
        if value:
            first = value.split(":")[0].lower()
            return "en" if first.startswith("en") else "de"
    return "de"


@lru_cache(maxsize=4)
def translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """The message in the reader's language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(language()).ngettext(singular, plural, count)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "extract this, translate later"
    """Marks a text for the catalogue where it is defined (a help text, a table heading); `_` translates it
    where it is shown."""
    return message


class DeferredText(str):
    """A text kept in English where it is stored (the ledger, JSON, the rules that read it) and shown to a
    person in their language: its value is the English text; `shown()` translates its source and fills in
    the same fields. Made by `deferred` or `deferred_n`, which the catalogue's extraction knows."""

    message: str
    plural: str | None
    count: int | None
    fields: dict

    def __new__(cls, message: str, fields: dict, plural: str | None = None, count: int | None = None):
        source = message if plural is None or count == 1 else plural
        text = super().__new__(cls, source.format(**fields))
        text.message, text.plural, text.count, text.fields = message, plural, count, fields
        return text

    def __reduce__(self):  # through the check-in's worker processes and back
        return (DeferredText, (self.message, self.fields, self.plural, self.count))

    def shown(self) -> str:
        # A date field is ISO in the stored English, German (17.05.2024) where a German reads it.
        fields = {name: date_text(value) if isinstance(value, datetime.date) else shown(value)
                  for name, value in self.fields.items()}
        if self.plural is None:  # (an empty msgid would be the catalogue's header)
            return (_(self.message) if self.message else "").format(**fields)
        return ngettext(self.message, self.plural, self.count).format(**fields)

    def source(self) -> dict:
        """What `from_source` makes this text again from: its English source and fields, as JSON (the ledger
        keeps it beside the English text, so that a later reader sees it in their language)."""
        source = {"message": self.message, "fields": {name: _field_source(value)
                                                      for name, value in self.fields.items()}}
        if self.plural is not None:
            source.update(plural=self.plural, count=self.count)
        return source


def _field_source(value):
    if isinstance(value, DeferredText):
        return value.source()
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    return value


def _field_from_source(value):
    if isinstance(value, dict) and "message" in value:
        return from_source(value)
    if isinstance(value, dict) and "date" in value:
        return datetime.date.fromisoformat(value["date"])
    return value


def from_source(source: dict) -> DeferredText:
    """The text `DeferredText.source()` describes."""
    fields = {name: _field_from_source(value) for name, value in source.get("fields", {}).items()}
    return DeferredText(source["message"], fields, source.get("plural"), source.get("count"))


def deferred(message: str, **fields) -> DeferredText:
    """`message` filled in with `fields`, stored in English, shown translated (see DeferredText)."""
    return DeferredText(message, fields)


def deferred_n(singular: str, plural: str, count: int, **fields) -> DeferredText:
    """The same with a count: `count` is one of the fields too."""
    return DeferredText(singular, {**fields, "count": count}, plural, count)


def deferred_join(separator: str, texts) -> DeferredText:
    """`texts` joined by `separator`, each shown in the reader's language."""
    fields = {f"part{index}": text for index, text in enumerate(texts)}
    return DeferredText(separator.join(f"{{{name}}}" for name in fields), fields)


def shown(text):
    """A text as a person reads it: a DeferredText in their language, anything else as it is."""
    return text.shown() if isinstance(text, DeferredText) else text


def catalogue_compiled() -> bool:
    return (LOCALE_DIR / "de" / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()


def state_label(state: str) -> str:
    """A document state as a person reads it: its German label (states.py) in German, its id in English."""
    if language() == "en":
        return str(state)
    from .states import STATE_LABELS_DE

    return STATE_LABELS_DE.get(state, str(state))


def date_text(date) -> str:
    """A date for a person: 17.05.2024 in German, 2024-05-17 (ISO) in English."""
    return date.isoformat() if language() == "en" else date.strftime("%d.%m.%Y")
