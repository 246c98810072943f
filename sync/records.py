"""What a profile is made of: record types, their fields, and validation.

One description serves the web forms and the sync payloads alike, so an entry
sent from a phone days later is checked exactly like one typed into a form.
Validation is pure: it gets the record's full data and a ``Context`` for the
few facts it must look up (locations, hours already recorded on a day).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from babel import Locale

from sync import locales, taxonomy
from sync.messages import N_

# (msgid, params): translated by the web layer in the reader's language.
Message = tuple[str, dict[str, Any]]

LEVELS_CEFR = [
    ("0", N_("None yet")),
    ("A1", N_("A1 – a few words and simple sentences")),
    ("A2", N_("A2 – simple everyday things")),
    ("B1", N_("B1 – most daily situations")),
    ("B2", N_("B2 – work and study, with some effort")),
    ("C1", N_("C1 – easily, also complex topics")),
    ("C2", N_("C2 – like a native speaker")),
]
SKILL_LEVELS = [
    ("1", N_("I am learning it")),
    ("2", N_("I can do it with help")),
    ("3", N_("I can do it on my own")),
    ("4", N_("I can teach it to others")),
]
LEARNED_HOW = [
    ("work", N_("At work")),
    ("education", N_("At school or in a course")),
    ("life", N_("In daily life or by myself")),
]
WORK_FORMS = [
    ("employment", N_("A job with an employer")),
    ("own_business", N_("My own business")),
    ("study", N_("Study or training")),
    ("volunteering", N_("Volunteer work")),
]
REGIONS = [
    ("anywhere", N_("Anywhere in the Netherlands")),
    ("groningen", N_("Groningen")), ("friesland", N_("Friesland")),
    ("drenthe", N_("Drenthe")), ("overijssel", N_("Overijssel")),
    ("flevoland", N_("Flevoland")), ("gelderland", N_("Gelderland")),
    ("utrecht", N_("Utrecht")), ("noord_holland", N_("North Holland")),
    ("zuid_holland", N_("South Holland")), ("zeeland", N_("Zeeland")),
    ("noord_brabant", N_("North Brabant")), ("limburg", N_("Limburg")),
]
RESIDENCE = [
    ("asylum_seeker", N_("Asylum seeker: my procedure is still running")),
    ("status_holder", N_("Status holder: I have a residence permit")),
]
EDUCATION_LEVELS = [
    ("none", N_("No school")),
    ("primary", N_("Primary school")),
    ("secondary_lower", N_("Secondary school, first years")),
    ("secondary_upper", N_("Secondary school, completed")),
    ("vocational", N_("Vocational training")),
    ("bachelor", N_("University or college: bachelor")),
    ("master", N_("University: master")),
    ("doctorate", N_("University: doctorate (PhD)")),
]
DIPLOMA = [
    ("yes", N_("Yes, I have it")),
    ("no", N_("No diploma")),
    ("lost", N_("I had one, but it is lost")),
]
EVALUATION = [
    ("not_requested", N_("Not requested")),
    ("requested", N_("Requested, waiting for the answer")),
    ("evaluated", N_("Evaluated (IDW)")),
    ("not_possible", N_("Not possible")),
]
HOURS_STATUS = [
    ("self_reported", N_("Self-reported")),
    ("verified", N_("Verified")),
    ("questioned", N_("Questioned")),
]
GOAL_STATUS = [
    ("planned", N_("Planned")),
    ("in_progress", N_("Working on it")),
    ("done", N_("Done")),
    ("stopped", N_("Stopped")),
]
STEP_STATUS = [
    ("todo", N_("To do")),
    ("doing", N_("Doing")),
    ("done", N_("Done")),
]
YES = [("yes", N_("Yes"))]

# Languages for the interface: every shipped locale (sync/locales.py).
INTERFACE_LOCALES = locales.CODES


@dataclass(frozen=True)
class Field:
    """One field of a record type: what it holds and how it is checked."""

    name: str
    kind: str  # text, longtext, choice, multi, bool, int, hours, date, month, year,
    #            code:<taxonomy kind>, language, country, location, locale, ref:<type>
    label: str
    hint: str = ""
    required: bool = False
    max_length: int = 0
    choices: list[tuple[str, str]] = field(default_factory=list)
    minimum: int | None = None
    maximum: int | None = None
    staff_only: bool = False  # only a coach may set it (e.g. verification status)
    not_future: bool = False
    default: Any = None


@dataclass(frozen=True)
class RecordType:
    """A kind of profile entry (one section of the profile, or part of one)."""

    name: str
    fields: list[Field]
    singleton: bool = False  # one per person, e.g. the basics
    staff_only: bool = False  # only staff create these, e.g. comments

    def field(self, name: str) -> Field | None:
        """The field called ``name``, if any."""
        return next((f for f in self.fields if f.name == name), None)


TEXT = 120
LONG = 2000

RECORD_TYPES: dict[str, RecordType] = {t.name: t for t in [
    RecordType("basics", singleton=True, fields=[
        Field("display_name", "text", N_("Your name"),
              N_("The name you want others to use."), required=True, max_length=80),
        Field("preferred_language", "locale", N_("Language of the app"), required=True),
        Field("location_id", "location", N_("Where you live now"),
              N_("The asylum centre or municipality."), required=True),
        Field("residence", "choice", N_("Your situation"), choices=RESIDENCE, required=True),
        Field("procedure_start", "date", N_("Date of your asylum application"),
              N_("You find it on your W-document."), not_future=True),
        Field("permit_date", "date", N_("Date of your residence permit"), not_future=True),
        Field("my_goal", "longtext", N_("My goal"),
              N_("In your own words: what work do you want to do?"), max_length=1000),
    ]),
    RecordType("ambition", fields=[
        Field("occupation", "code:occupation", N_("Occupation you want")),
        Field("sector", "code:sector", N_("Sector")),
        Field("work_form", "choice", N_("Form of work"), choices=WORK_FORMS, required=True),
        Field("hours_per_week", "int", N_("Hours per week"), minimum=1, maximum=60),
        Field("regions", "multi", N_("Where you want to live and work"), choices=REGIONS),
        Field("note", "longtext", N_("More about this wish"), max_length=1000),
    ]),
    RecordType("skill", fields=[
        Field("code", "code:skill", N_("Skill")),
        Field("free_text", "text", N_("Other skill, in your own words"),
              N_("Use this when you cannot find your skill in the list."), max_length=TEXT),
        Field("level", "choice", N_("How well can you do it?"), choices=SKILL_LEVELS,
              required=True),
        Field("learned", "choice", N_("Where did you learn it?"), choices=LEARNED_HOW,
              required=True),
        Field("note", "longtext", N_("Example of what you did"), max_length=1000),
    ]),
    RecordType("language", fields=[
        Field("language", "language", N_("Language"), required=True),
        Field("mother_tongue", "bool", N_("This is my mother tongue"), choices=YES),
        Field("understanding", "choice", N_("Understanding"), choices=LEVELS_CEFR,
              required=True),
        Field("speaking", "choice", N_("Speaking"), choices=LEVELS_CEFR, required=True),
        Field("reading", "choice", N_("Reading"), choices=LEVELS_CEFR, required=True),
        Field("writing", "choice", N_("Writing"), choices=LEVELS_CEFR, required=True),
        Field("learning", "bool", N_("I am learning this language now"), choices=YES),
        Field("course", "text", N_("Course or school"), max_length=TEXT),
    ]),
    RecordType("education", fields=[
        Field("level", "choice", N_("Level"), choices=EDUCATION_LEVELS, required=True),
        Field("field", "text", N_("Subject or field"), N_("For example: nursing, law."),
              max_length=TEXT, required=True),
        Field("country", "country", N_("Country")),
        Field("start_year", "year", N_("Start year")),
        Field("end_year", "year", N_("End year")),
        Field("diploma", "choice", N_("Do you have the diploma?"), choices=DIPLOMA,
              required=True),
        Field("evaluation", "choice", N_("Diploma evaluation"),
              N_("The Netherlands can compare your diploma with a Dutch one (IDW)."),
              choices=EVALUATION),
    ]),
    RecordType("work", fields=[
        Field("job_title", "text", N_("Job"), required=True, max_length=TEXT),
        Field("occupation", "code:occupation", N_("Occupation in the list")),
        Field("employer", "text", N_("Employer or own business"), max_length=TEXT),
        Field("country", "country", N_("Country")),
        Field("start", "month", N_("Start"), required=True, not_future=True),
        Field("end", "month", N_("End"), N_("Leave empty if you still work there."),
              not_future=True),
        Field("description", "longtext", N_("What did you do?"), max_length=LONG),
    ]),
    RecordType("volunteer", fields=[
        Field("date", "date", N_("Date"), required=True, not_future=True),
        Field("organisation", "text", N_("Organisation"), required=True, max_length=TEXT),
        Field("activity", "text", N_("What did you do?"), required=True, max_length=200),
        Field("hours", "hours", N_("Hours"), N_("For example 2 or 1.5"), required=True),
        Field("status", "choice", N_("Status"), choices=HOURS_STATUS, staff_only=True,
              default="self_reported"),
        Field("status_reason", "text", N_("Reason"), max_length=300, staff_only=True),
    ]),
    RecordType("goal", fields=[
        Field("title", "text", N_("Goal"), required=True, max_length=TEXT),
        Field("description", "longtext", N_("Why this goal?"), max_length=1000),
        Field("due", "date", N_("When do you want to reach it?")),
        Field("status", "choice", N_("Status"), choices=GOAL_STATUS, required=True,
              default="planned"),
    ]),
    RecordType("step", fields=[
        Field("goal_id", "ref:goal", N_("Goal"), required=True),
        Field("text", "text", N_("Step"), required=True, max_length=200),
        Field("due", "date", N_("Do it before")),
        Field("status", "choice", N_("Status"), choices=STEP_STATUS, required=True,
              default="todo"),
    ]),
    RecordType("comment", staff_only=True, fields=[
        Field("record_id", "ref:any", N_("Entry"), required=True),
        Field("body", "longtext", N_("Comment"), required=True, max_length=1000),
    ]),
]}


class Context(Protocol):
    """What validation may look up in the store."""

    def location_exists(self, location_id: str) -> bool: ...
    def own_record_type(self, record_id: str) -> str | None: ...
    def hours_on(self, day: str, exclude_id: str) -> float: ...


class ValidationFailed(Exception):
    """The data is not valid; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, Message]):
        super().__init__(errors)
        self.errors = errors


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


def parse_date(value: str) -> date | None:
    """A ``YYYY-MM-DD`` string as a date, or None for anything else (2026-02-30 too)."""
    if not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


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


def known_language(code: str) -> bool:
    """True for a language a person may list (see ``SPOKEN_LANGUAGES``)."""
    return code in SPOKEN_LANGUAGES


# CLDR names these two-letter codes too, but they are not countries.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}


def known_country(code: str) -> bool:
    """True for a two-letter country code Babel can name."""
    return (len(code) == 2 and code.isalpha() and code.isupper()
            and code not in _NOT_COUNTRIES and code in Locale("en").territories)


_NUMERIC_KINDS = {"int", "hours", "date", "month", "year"}


def ascii_digits(text: str) -> str:
    """Arabic-Indic and other decimal digits as 0-9: phones type them in ar and fa."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def _check_field(f: Field, raw: Any, today: date, ctx: Context) -> tuple[Any, Message | None]:
    """Clean one field's value; return (value, error)."""
    empty = raw is None or raw == "" or raw == []
    if f.kind == "multi":
        values = raw if isinstance(raw, list) else ([] if empty else [raw])
        allowed = {c for c, _ in f.choices}
        if any(not isinstance(v, str) or v not in allowed for v in values):
            return None, (N_("Choose from the list"), {})
        # Keep the list order of the choices: the same wish never looks like a change.
        return [c for c, _ in f.choices if c in values], None
    if f.kind == "bool":
        if raw in (True, "yes", "true", "on", "1", 1):
            return True, None
        if empty or raw in (False, "no", "false", "0", 0):
            return False, None
        return None, (N_("Choose yes or no"), {})
    if empty:
        if f.required:
            return None, (_REQUIRED.get(f.kind, N_("This field is required")), {})
        return None, None
    if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
        return None, (N_("This value is not valid"), {})
    text = clean_text(raw, f.kind == "longtext") if isinstance(raw, str) else str(raw)
    if f.kind in _NUMERIC_KINDS:
        text = ascii_digits(text)
    if text == "":
        if f.required:
            return None, (N_("This field is required"), {})
        return None, None
    kind = f.kind
    if kind in ("text", "longtext"):
        if len(text) > f.max_length:
            return None, (N_("Use at most %(max)s characters (now %(count)s)"),
                          {"max": f.max_length, "count": len(text)})
        return text, None
    if kind == "choice":
        if text not in {c for c, _ in f.choices}:
            return None, (N_("Choose from the list"), {})
        return text, None
    if kind == "int":
        if not re.fullmatch(r"\d{1,4}", text):
            return None, (N_("Enter a whole number"), {})
        number = int(text)
        if not f.minimum <= number <= f.maximum:
            return None, (N_("Enter a number from %(min)s to %(max)s"),
                          {"min": f.minimum, "max": f.maximum})
        return number, None
    if kind == "hours":
        try:
            # Dutch "1,5" and the Arabic decimal separator "٢٫٥" both mean 1.5.
            hours = Decimal(text.replace(",", ".").replace("٫", "."))
        except InvalidOperation:
            return None, (N_("Enter the hours as a number, like 2 or 1.5"), {})
        if not hours.is_finite():
            return None, (N_("Enter the hours as a number, like 2 or 1.5"), {})
        if hours <= 0:
            return None, (N_("Hours must be more than 0"), {})
        if hours > 24:
            return None, (N_("A day has at most 24 hours"), {})
        if hours * 4 != int(hours * 4):
            return None, (N_("Round the hours to a quarter hour, like 1.25 or 1.5"), {})
        return float(hours), None
    if kind == "date":
        day = parse_date(text)
        if day is None:
            return None, (N_("Enter a real date, like %(example)s"), {"example": "2026-03-31"})
        if day.year < 1900:
            return None, (N_("Enter a date after 1900"), {})
        if f.not_future and day > today:
            return None, (N_("The date cannot be in the future"), {})
        return day.isoformat(), None
    if kind == "month":
        if not _MONTH.match(text) or not 1 <= int(text[5:]) <= 12 or int(text[:4]) < 1900:
            return None, (N_("Enter a month and year, like %(example)s"), {"example": "2019-08"})
        if f.not_future and text > today.isoformat()[:7]:
            return None, (N_("The month cannot be in the future"), {})
        return text, None
    if kind == "year":
        if not re.fullmatch(r"\d{4}", text) or not 1900 <= int(text) <= today.year:
            return None, (N_("Enter a year from %(min)s to %(max)s"),
                          {"min": 1900, "max": today.year})
        return int(text), None
    if kind.startswith("code:"):
        if not taxonomy.is_known(kind[5:], text):
            return None, (N_("Choose from the list"), {})
        return text, None
    if kind == "language":
        if not known_language(text):
            return None, (N_("Choose a language from the list"), {})
        return text, None
    if kind == "country":
        if not known_country(text):
            return None, (N_("Choose a country from the list"), {})
        return text, None
    if kind == "locale":
        if text not in INTERFACE_LOCALES:
            return None, (N_("Choose from the list"), {})
        return text, None
    if kind == "location":
        if not ctx.location_exists(text):
            return None, (N_("Choose a place from the list"), {})
        return text, None
    if kind.startswith("ref:"):
        wanted = kind[4:]
        found = ctx.own_record_type(text)
        if found is None or (wanted != "any" and found != wanted):
            return None, (N_("This entry does not exist"), {})
        return text, None
    raise AssertionError(f"unknown field kind {kind}")


_REQUIRED = {
    "choice": N_("Choose one"),
    "date": N_("Enter a date"),
    "month": N_("Enter a month and year"),
    "hours": N_("Enter the hours"),
    "language": N_("Choose a language"),
    "location": N_("Choose a place"),
}


def _cross_field_errors(record_type: str, data: dict, ctx: Context,
                        record_id: str) -> dict[str, Message]:
    """Rules that involve more than one field, or other records."""
    errors: dict[str, Message] = {}
    if record_type == "basics":
        if data.get("residence") == "asylum_seeker" and not data.get("procedure_start"):
            errors["procedure_start"] = (N_("Enter the date of your asylum application"), {})
        if data.get("residence") == "status_holder" and not data.get("permit_date"):
            errors["permit_date"] = (N_("Enter the date of your residence permit"), {})
        start, permit = data.get("procedure_start"), data.get("permit_date")
        if start and permit and permit < start:
            errors["permit_date"] = (
                N_("The permit date cannot be before the asylum application"), {})
    elif record_type == "ambition":
        if not (data.get("occupation") or data.get("sector") or data.get("note")):
            errors["occupation"] = (
                N_("Choose an occupation or a sector, or describe your wish"), {})
    elif record_type == "skill":
        if not (data.get("code") or data.get("free_text")):
            errors["code"] = (N_("Choose a skill from the list or write it in your own words"), {})
    elif record_type == "education":
        start, end = data.get("start_year"), data.get("end_year")
        if start and end and end < start:
            errors["end_year"] = (N_("The end year cannot be before the start year"), {})
    elif record_type == "work":
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            errors["end"] = (N_("The end cannot be before the start"), {})
    elif record_type == "volunteer":
        if data.get("status") == "questioned" and not data.get("status_reason"):
            errors["status_reason"] = (N_("Give a reason why you question these hours"), {})
        if data.get("date") and data.get("hours") and "hours" not in errors:
            already = ctx.hours_on(data["date"], record_id)
            if already + data["hours"] > 24:
                errors["hours"] = (
                    N_("With your other entries this day has more than 24 hours "
                       "(%(hours)s hours already recorded)"), {"hours": already})
    return errors


def validate(record_type: str, data: dict, ctx: Context, record_id: str,
             today: date) -> dict:
    """Check a record's full data; return it cleaned or raise ``ValidationFailed``.

    Unknown field names are rejected rather than ignored, so a tampered or
    outdated payload never stores something no one can see.
    """
    spec = RECORD_TYPES[record_type]
    errors: dict[str, Message] = {}
    unknown = set(data) - {f.name for f in spec.fields}
    if unknown:
        errors["__all__"] = (N_("Unknown fields: %(names)s"),
                             {"names": ", ".join(sorted(unknown))})
    clean: dict[str, Any] = {}
    for f in spec.fields:
        value, error = _check_field(f, data.get(f.name, f.default), today, ctx)
        if error:
            errors[f.name] = error
        else:
            clean[f.name] = value
    if not errors:
        errors.update(_cross_field_errors(record_type, clean, ctx, record_id))
    if errors:
        raise ValidationFailed(errors)
    return clean
