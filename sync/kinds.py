"""Field kinds: each kind of value a profile field holds, described once.

A kind knows how a value arrives (``wire``: what a form or a phone's outbox
sends), how it is read from a form, cleaned and checked (a form's "1,5" and a
phone's 1.5 alike), which control draws it (``control``: a macro in
templates/profile/_field.html), which options it offers and how a stored value
reads in a person's language (or in Dutch, side by side). A new kind is one
class here; records.py only names kinds.

Pure and Flask-free: translating and formatting go through a ``Reader`` that
the web layer hands in; facts from the database through a ``Lookup``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from babel import Locale
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal

from sync import locales, taxonomy
from sync.messages import N_, N_plural, Plural, too_long

if TYPE_CHECKING:
    from sync.records import Field

# (msgid, params): translated by the web layer in the reader's language.
Message = tuple[str | Plural, dict[str, Any]]

NOT_STORABLE = N_("This text contains characters that cannot be saved. Type it again")
NOT_VALID = N_("This value is not valid")
FROM_THE_LIST = N_("Choose from the list")


class Reader(Protocol):
    """Whoever reads a value: their locale and translations (given by the web layer)."""

    locale: Locale

    def gettext(self, msgid: str) -> str: ...
    def place_name(self, location_id: str) -> str | None: ...


class Lookup(Protocol):
    """What checking a value may look up in the store, for one person."""

    def location_exists(self, location_id: str) -> bool: ...
    def own_record_type(self, record_id: str) -> str | None: ...
    def hours_on(self, day: str, exclude_id: str) -> float: ...


class Options(Protocol):
    """What a form offers that depends on the person: places, their goals."""

    locations: list[dict]
    goals: list[dict]


# -- text -------------------------------------------------------------------------


def storable(text: str) -> bool:
    """Whether ``text`` can be stored and sent as UTF-8: no lone UTF-16 surrogates, no NUL.

    JSON may carry "\\ud800" and a command line undecodable bytes (as surrogates);
    neither is text a person wrote, and SQLite and JSON encoders refuse them. NUL is
    no one's writing either, and PostgreSQL refuses it in any text.
    """
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# C0 and C1 controls (DEL included); tab and newline stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def clean_text(value: Any, multiline: bool) -> str:
    """Normalise free text: NFC, no control characters, trimmed; kept as written."""
    text = unicodedata.normalize("NFC", str(value))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not multiline:
        text = " ".join(text.split())
    return text.strip()


def ascii_digits(text: str) -> str:
    """Arabic-Indic and other decimal digits as 0-9: phones type them in ar and fa."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def parse_date(value: str) -> date | None:
    """A ``YYYY-MM-DD`` string as a date, or None for anything else (2026-02-30 too)."""
    if not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


# -- what CLDR knows -------------------------------------------------------------------

# Languages a person can say they speak: every two-letter ISO 639-1 code CLDR
# names, plus three-letter codes for languages many of our people speak that
# have no two-letter code (Dari, Sorani, Kurmanji, Tigre, Hazaragi...).
_EXTRA_LANGUAGES = {"ckb", "tig", "byn", "bal", "syr", "skr", "fil", "sdh", "lki"}
# Codes CLDR does not know under their ISO 639-3 name: Dari is "fa_AF" there.
LANGUAGE_NAME_KEYS = {"prs": "fa_AF"}
SPOKEN_LANGUAGES = frozenset(
    [code for code in Locale("en").languages
     if (len(code) == 2 and code.isalpha() and code.islower()) or code in _EXTRA_LANGUAGES]
    + list(LANGUAGE_NAME_KEYS))

# CLDR names these two-letter codes too, but they are not countries.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}
COUNTRIES = frozenset(code for code in Locale("en").territories
                      if len(code) == 2 and code.isalpha() and code.isupper()
                      and code not in _NOT_COUNTRIES)


def language_name(code: str | None, locale: Locale) -> str:
    """A language's name in ``locale``; where CLDR has none there, its own name (never
    silently English: the cases are listed in sync.locales.UNNAMED_LANGUAGES)."""
    if not code:
        return ""
    key = LANGUAGE_NAME_KEYS.get(code, code)
    return (locale.languages.get(key) or locales.language_endonym(key)
            or Locale("en").languages.get(key, code))


@lru_cache(maxsize=64)
def _sorted_languages(locale_code: str) -> tuple[tuple[str, str], ...]:
    locale = Locale.parse(locale_code)
    return tuple(sorted(((c, language_name(c, locale)) for c in SPOKEN_LANGUAGES),
                        key=lambda pair: pair[1].casefold()))


@lru_cache(maxsize=64)
def _sorted_countries(locale_code: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(locale_code).territories
    return tuple(sorted(((c, names.get(c, c)) for c in COUNTRIES),
                        key=lambda pair: pair[1].casefold()))


# -- the kinds --------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How values of one kind are read, checked, drawn, shown and sent."""

    name: str
    wire: ClassVar[str] = "text"  # what a form and the outbox send: text, list or bool
    control: ClassVar[str] = "input"  # the macro in templates/profile/_field.html
    input_type: ClassVar[str] = "text"
    # Extra attributes of the control: phones show the right keyboard, and numbers,
    # dates and codes read left to right also in Arabic.
    attrs: ClassVar[dict[str, str]] = {"dir": "auto"}
    numeric: ClassVar[bool] = False  # Arabic-Indic digits count as 0-9
    free_text: ClassVar[bool] = False  # the person's own words: shown isolated (<bdi>)
    multiline: ClassVar[bool] = False  # line breaks are kept
    required_message: ClassVar[str] = N_("This field is required")

    def read(self, form: Any, name: str) -> Any:
        """The value a submitted form (a MultiDict) holds for a field of this kind."""
        return form.get(name, "")

    def clean(self, field: Field, raw: Any, today: date,
              lookup: Lookup) -> tuple[Any, Message | None]:
        """The stored form of ``raw`` (from a form or a phone), or an error."""
        if raw is None or raw == "" or raw == []:
            return None, (self.required_message, {}) if field.required else None
        if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
            return None, (NOT_VALID, {})
        text = clean_text(raw, self.multiline) if isinstance(raw, str) else str(raw)
        if not storable(text):  # control characters (NUL too) are gone by now
            return None, (NOT_STORABLE, {})
        if self.numeric:
            text = ascii_digits(text)
        if text == "":
            return None, (N_("This field is required"), {}) if field.required else None
        return self.parse(field, text, today, lookup)

    def parse(self, field: Field, text: str, today: date,
              lookup: Lookup) -> tuple[Any, Message | None]:
        """Check a cleaned, non-empty text; the value to store or an error."""
        return text, None

    def phone_check(self, field: Field, today: date) -> dict:
        """How the phone checks a value of this kind before it keeps a form offline: the
        same limits and messages as ``parse`` (static/js/checks.js does the rest).
        Messages are (msgid, params); the web layer translates them."""
        return {}

    def options(self, field: Field, reader: Reader,
                offered: Options | None = None) -> list[tuple[str, str]]:
        """(value, label in the reader's language) of each choice, in display order."""
        return []

    def display(self, field: Field, value: Any, reader: Reader) -> str | None:
        """A stored value as the reader reads it; None when there is nothing to show."""
        if value is None or value == "" or value == [] or value is False:
            return None
        return self.show(field, value, reader)

    def show(self, field: Field, value: Any, reader: Reader) -> str | None:
        return str(value)


class Text(Kind):
    """A line of free text, at most ``field.max_length`` characters."""

    free_text = True

    def parse(self, field, text, today, lookup):
        if len(text) > field.max_length:
            return None, too_long(field.max_length, len(text))
        return text, None

    def phone_check(self, field, today):
        return {"check": "length", "max": field.max_length,
                "messages": {"too_long": too_long(field.max_length, 0)}}


class LongText(Text):
    """Several lines of free text (line breaks kept)."""

    control = "textarea"
    multiline = True


class Choice(Kind):
    """One of the field's own choices (radio buttons, or a list when there are many)."""

    control = "choice"
    attrs = {}
    required_message = N_("Choose one")

    def parse(self, field, text, today, lookup):
        if text not in {code for code, _ in field.choices}:
            return None, (FROM_THE_LIST, {})
        return text, None

    def options(self, field, reader, offered=None):
        return [(code, reader.gettext(label)) for code, label in field.choices]

    def show(self, field, value, reader):
        return dict(self.options(field, reader)).get(value, str(value))


class Multi(Choice):
    """Any number of the field's choices (checkboxes); kept in the choices' order."""

    wire = "list"
    control = "checkboxes"

    def read(self, form, name):
        return form.getlist(name)

    def clean(self, field, raw, today, lookup):
        values = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
        allowed = {c for c, _ in field.choices}
        if any(not isinstance(v, str) or v not in allowed for v in values):
            return None, (FROM_THE_LIST, {})
        # Keep the list order of the choices: the same wish never looks like a change.
        return [c for c, _ in field.choices if c in values], None

    def show(self, field, value, reader):
        labels = dict(self.options(field, reader))
        return format_list([labels.get(v, v) for v in value], locale=reader.locale)


class Bool(Kind):
    """Yes or no (one checkbox)."""

    wire = "bool"
    control = "checkbox"
    attrs = {}

    def read(self, form, name):
        return form.get(name) == "yes"

    def clean(self, field, raw, today, lookup):
        if raw in (True, "yes", "true", "on", "1", 1):
            return True, None
        if raw is None or raw == "" or raw == [] or raw in (False, "no", "false", "0", 0):
            return False, None
        return None, (N_("Choose yes or no"), {})

    def show(self, field, value, reader):
        return reader.gettext(N_("Yes"))


class Int(Kind):
    """A whole number from ``field.minimum`` to ``field.maximum``."""

    numeric = True
    attrs = {"inputmode": "numeric", "class": "ltr", "dir": "ltr"}
    WHOLE = (N_("Enter a whole number"), {})

    def _range(self, field) -> Message:
        return (N_("Enter a number from %(min)s to %(max)s"),
                {"min": field.minimum, "max": field.maximum})

    def parse(self, field, text, today, lookup):
        if not re.fullmatch(r"\d{1,4}", text):
            return None, self.WHOLE
        number = int(text)
        if not field.minimum <= number <= field.maximum:
            return None, self._range(field)
        return number, None

    def phone_check(self, field, today):
        return {"check": "int", "min": field.minimum, "max": field.maximum,
                "messages": {"whole": self.WHOLE, "range": self._range(field)}}


class Hours(Kind):
    """Hours of a day, in quarter hours: "2", "1,5" (Dutch), "٢٫٥" (Arabic)."""

    numeric = True
    attrs = {"inputmode": "decimal", "class": "ltr", "dir": "ltr"}
    required_message = N_("Enter the hours")
    MESSAGES: ClassVar[dict[str, Message]] = {
        "number": (N_("Enter the hours as a number, like 2 or 1.5"), {}),
        "positive": (N_("Hours must be more than 0"), {}),
        "day": (N_("A day has at most 24 hours"), {}),
        "quarter": (N_("Round the hours to a quarter hour, like 1.25 or 1.5"), {}),
    }

    def parse(self, field, text, today, lookup):
        try:
            hours = Decimal(text.replace(",", ".").replace("٫", "."))
        except InvalidOperation:
            return None, self.MESSAGES["number"]
        if not hours.is_finite():
            return None, self.MESSAGES["number"]
        if hours <= 0:
            return None, self.MESSAGES["positive"]
        if hours > 24:
            return None, self.MESSAGES["day"]
        if hours * 4 != int(hours * 4):
            return None, self.MESSAGES["quarter"]
        return float(hours), None

    def phone_check(self, field, today):
        return {"check": "hours", "messages": self.MESSAGES}

    def show(self, field, value, reader):
        return format_decimal(value, locale=reader.locale)


class Day(Kind):
    """A date; ``field.not_future`` refuses days after today."""

    numeric = True
    input_type = "date"
    attrs = {}
    required_message = N_("Enter a date")
    MESSAGES: ClassVar[dict[str, Message]] = {
        "real": (N_("Enter a real date, like %(example)s"), {"example": "2026-03-31"}),
        "old": (N_("Enter a date after 1900"), {}),
        "future": (N_("The date cannot be in the future"), {}),
    }

    def parse(self, field, text, today, lookup):
        day = parse_date(text)
        if day is None:
            return None, self.MESSAGES["real"]
        if day.year < 1900:
            return None, self.MESSAGES["old"]
        if field.not_future and day > today:
            return None, self.MESSAGES["future"]
        return day.isoformat(), None

    def phone_check(self, field, today):
        return {"check": "date", "not_future": field.not_future, "messages": self.MESSAGES}

    def show(self, field, value, reader):
        # "long": CLDR's medium format abbreviates months (Tigrinya's short names
        # differ from the long ones); see sync.locales.GAPS["dates"].
        return format_date(date.fromisoformat(value), "long", locale=reader.locale)


class Month(Kind):
    """A month and year ("2019-08"), e.g. when a job started."""

    numeric = True
    input_type = "month"
    attrs = {"placeholder": "2019-08"}
    required_message = N_("Enter a month and year")

    MESSAGES: ClassVar[dict[str, Message]] = {
        "real": (N_("Enter a month and year, like %(example)s"), {"example": "2019-08"}),
        "future": (N_("The month cannot be in the future"), {}),
    }

    def parse(self, field, text, today, lookup):
        if not _MONTH.match(text) or not 1 <= int(text[5:]) <= 12 or int(text[:4]) < 1900:
            return None, self.MESSAGES["real"]
        if field.not_future and text > today.isoformat()[:7]:
            return None, self.MESSAGES["future"]
        return text, None

    def phone_check(self, field, today):
        return {"check": "month", "not_future": field.not_future, "messages": self.MESSAGES}

    def show(self, field, value, reader):
        return format_date(date.fromisoformat(f"{value}-01"), "LLLL y", locale=reader.locale)


class Year(Kind):
    """A year from 1900 to this one."""

    numeric = True
    attrs = {"inputmode": "numeric", "autocomplete": "off", "class": "ltr", "dir": "ltr"}

    @staticmethod
    def _range(today: date) -> Message:
        return (N_("Enter a year from %(min)s to %(max)s"), {"min": 1900, "max": today.year})

    def parse(self, field, text, today, lookup):
        if not re.fullmatch(r"\d{4}", text) or not 1900 <= int(text) <= today.year:
            return None, self._range(today)
        return int(text), None

    def phone_check(self, field, today):
        return {"check": "year", "min": 1900, "max": today.year,
                "messages": {"range": self._range(today)}}


@dataclass(frozen=True)
class Code(Kind):
    """A code of our taxonomy: an occupation, a skill or a sector."""

    taxonomy_kind: str = "skill"
    attrs: ClassVar[dict[str, str]] = {}

    @property
    def control(self) -> str:  # type: ignore[override]
        # Hundreds of skills and occupations need search; the sectors fit a list.
        return "choice" if self.taxonomy_kind == "sector" else "picker"

    def parse(self, field, text, today, lookup):
        if not taxonomy.is_known(self.taxonomy_kind, text):
            return None, (FROM_THE_LIST, {})
        return text, None

    def options(self, field, reader, offered=None):
        if self.taxonomy_kind != "sector":
            return []  # drawn by the picker, grouped by area
        return sorted(((s.code, reader.gettext(s.label)) for s in taxonomy.SECTORS),
                      key=lambda pair: pair[1].casefold())

    def show(self, field, value, reader):
        msgid = taxonomy.label(self.taxonomy_kind, value)
        return reader.gettext(msgid) if msgid else value


class Language(Kind):
    """A language a person speaks (ISO 639 code), named in the reader's language."""

    control = "choice"
    attrs = {}
    required_message = N_("Choose a language")

    def parse(self, field, text, today, lookup):
        if text not in SPOKEN_LANGUAGES:
            return None, (N_("Choose a language from the list"), {})
        return text, None

    def options(self, field, reader, offered=None):
        return list(_sorted_languages(str(reader.locale)))

    def show(self, field, value, reader):
        return language_name(value, reader.locale)


class Country(Kind):
    """A country (two-letter code), named in the reader's language."""

    control = "choice"
    attrs = {}

    def parse(self, field, text, today, lookup):
        if text not in COUNTRIES:
            return None, (N_("Choose a country from the list"), {})
        return text, None

    def options(self, field, reader, offered=None):
        return list(_sorted_countries(str(reader.locale)))

    def show(self, field, value, reader):
        return reader.locale.territories.get(value, value)


class InterfaceLocale(Kind):
    """A language of the app itself, named in itself ("العربية")."""

    control = "choice"
    attrs = {}

    def parse(self, field, text, today, lookup):
        if text not in locales.CODES:
            return None, (FROM_THE_LIST, {})
        return text, None

    def options(self, field, reader, offered=None):
        return [(code, locales.get(code).own_name) for code in locales.CODES]

    def show(self, field, value, reader):
        return locales.get(value).own_name if value in locales.LOCALES else value


class Place(Kind):
    """An asylum centre or municipality we know."""

    control = "choice"
    attrs = {}
    required_message = N_("Choose a place")

    def parse(self, field, text, today, lookup):
        if not lookup.location_exists(text):
            return None, (N_("Choose a place from the list"), {})
        return text, None

    def options(self, field, reader, offered=None):
        return [(loc["id"], loc["name"]) for loc in (offered.locations if offered else [])]

    def show(self, field, value, reader):
        return reader.place_name(value) or value


@dataclass(frozen=True)
class Ref(Kind):
    """Another entry of the same person (a step's goal, a comment's entry)."""

    record_type: str = "any"
    control: ClassVar[str] = "choice"
    attrs: ClassVar[dict[str, str]] = {}

    def parse(self, field, text, today, lookup):
        found = lookup.own_record_type(text)
        if found is None or (self.record_type != "any" and found != self.record_type):
            return None, (N_("This entry does not exist"), {})
        return text, None

    def options(self, field, reader, offered=None):
        goals = offered.goals if offered and self.record_type == "goal" else []
        return [(goal["id"], goal["data"]["title"]) for goal in goals]

    def show(self, field, value, reader):
        return None  # shown by nesting: steps under their goal, comments under their entry


class Staff(Kind):
    """A user id the write path sets (who checked the hours), never typed."""

    control = "none"

    def show(self, field, value, reader):
        return None  # shown with the person's name where it matters


FILE_ID = re.compile(r"[0-9a-f]{64}")
FILES_PER_ENTRY = 10


def too_many_files() -> Message:
    """The message for an entry given more than FILES_PER_ENTRY files."""
    return (N_plural("Add at most %(max)s file to one entry",
                     "Add at most %(max)s files to one entry", "max"), {"max": FILES_PER_ENTRY})


class Files(Kind):
    """Photos and documents of an entry (sync/files.py), named by their ids. An entry may
    name a file before it arrived: the phone sends its entries and its files apart."""

    wire = "list"
    control = "files"
    attrs = {}

    def read(self, form, name):
        return form.getlist(name)

    def clean(self, field, raw, today, lookup):
        values = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
        if not values:
            return None, None  # no files: nothing stored (as an entry made before files)
        if any(not isinstance(v, str) or not FILE_ID.fullmatch(v) for v in values):
            return None, (NOT_VALID, {})
        kept = list(dict.fromkeys(values))  # the same photo twice is one
        if len(kept) > FILES_PER_ENTRY:
            return None, too_many_files()
        return kept, None

    def show(self, field, value, reader):
        return None  # shown as pictures and links under the entry (profile/_files.html)


class Voice(Kind):
    """A recorded answer beside a free-text field (sync/files.py keeps the recording),
    named by its file id like a photo; it may be named before it arrives."""

    control = "voice"
    attrs = {}

    def parse(self, field, text, today, lookup):
        if not FILE_ID.fullmatch(text):
            return None, (NOT_VALID, {})
        return text, None

    def show(self, field, value, reader):
        return None  # played where the entry is shown (profile/_voice_answers.html)


_SIMPLE: dict[str, type[Kind]] = {
    "text": Text, "longtext": LongText, "choice": Choice, "multi": Multi, "bool": Bool,
    "int": Int, "hours": Hours, "date": Day, "month": Month, "year": Year,
    "language": Language, "country": Country, "locale": InterfaceLocale, "location": Place,
    "user": Staff, "files": Files, "voice": Voice,
}


@cache
def kind(name: str) -> Kind:
    """The kind a field names: "hours", "code:skill", "ref:goal" ..."""
    if name in _SIMPLE:
        return _SIMPLE[name](name)
    prefix, _, rest = name.partition(":")
    if prefix == "code" and rest in taxonomy.KINDS:
        return Code(name, taxonomy_kind=rest)
    if prefix == "ref" and rest:
        return Ref(name, record_type=rest)
    raise KeyError(f"unknown field kind {name!r}")
