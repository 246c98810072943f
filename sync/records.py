"""What a profile is made of: record types, their fields, and their rules.

One description serves the web forms and the sync payloads alike, so an entry
sent from a phone days later is checked exactly like one typed into a form.
A field names its kind (sync/kinds.py: how a value is read, checked, drawn
and shown); a record type carries its own rules: checks across its fields,
what a write also changes (a changed hours entry loses its verification), and
which fields name an entry. Validation is pure: it gets the record's full data
and a ``Lookup`` for the few facts it must look up (places, hours on a day).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sync import hours, locales
from sync.kinds import Kind, Lookup, Message, kind, storable
from sync.messages import N_, N_plural

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
    kind: str  # a kind of sync/kinds.py: text, longtext, choice, multi, bool, int, hours,
    #            date, month, year, code:<taxonomy kind>, language, country, location,
    #            locale, ref:<type>, user
    label: str
    hint: str = ""
    required: bool = False
    max_length: int = 0
    choices: list[tuple[str, str]] = field(default_factory=list)
    minimum: int | None = None
    maximum: int | None = None
    staff_only: bool = False  # only a coach may set it (e.g. verification status)
    derived: bool = False  # set by the write path only, never by an operation
    not_future: bool = False
    default: Any = None

    @property
    def spec(self) -> Kind:
        """The field's kind: how its values are read, checked, drawn and shown."""
        return kind(self.kind)


Errors = dict[str, Message]

VOICE = "_voice"  # the voice answer beside a free-text field: "<field>_voice"
SUMMARY = "_voice_summary"  # a coach's summary of it in Dutch


def spoken(text_field: Field) -> list[Field]:
    """A free-text field, a voice answer beside it (for those who say it better than
    they type it), and the coach's written summary of that answer in Dutch."""
    return [text_field,
            Field(text_field.name + VOICE, "voice", N_("Or say it: record your answer")),
            Field(text_field.name + SUMMARY, "longtext", N_("Summary in Dutch"),
                  max_length=1000, staff_only=True)]


# -- rules across fields ---------------------------------------------------------------
# Each rule checks the cleaned data here, and describes itself (``as_json``) for the
# phone, which checks a form it keeps offline by the same rules before it queues it:
# what the phone accepts offline is what the server accepts.


@dataclass(frozen=True)
class RequiredWhen:
    """``field`` must be filled in when ``other`` is ``value``."""

    field: str
    other: str
    value: str
    message: str

    def errors(self, data: dict, lookup: Lookup, record_id: str) -> Errors:
        if data.get(self.other) == self.value and not data.get(self.field):
            return {self.field: (self.message, {})}
        return {}

    def as_json(self) -> dict:
        return {"rule": "required_when", "field": self.field, "other": self.other,
                "value": self.value, "message": self.message}


@dataclass(frozen=True)
class OneOf:
    """At least one of ``fields`` is filled in (the error shows at the first)."""

    fields: tuple[str, ...]
    message: str

    def errors(self, data: dict, lookup: Lookup, record_id: str) -> Errors:
        if not any(data.get(name) for name in self.fields):
            return {self.fields[0]: (self.message, {})}
        return {}

    def as_json(self) -> dict:
        return {"rule": "one_of", "fields": list(self.fields), "message": self.message}


@dataclass(frozen=True)
class NotBefore:
    """``end`` is not before ``start``, when both are filled in (dates, months, years)."""

    start: str
    end: str
    message: str

    def errors(self, data: dict, lookup: Lookup, record_id: str) -> Errors:
        first, last = data.get(self.start), data.get(self.end)
        if first and last and last < first:
            return {self.end: (self.message, {})}
        return {}

    def as_json(self) -> dict:
        return {"rule": "not_before", "start": self.start, "end": self.end,
                "message": self.message}


@dataclass(frozen=True)
class DayOfHours:
    """A day has at most 24 hours, this entry and the person's others together.

    Only the server knows every entry of the person: the phone leaves this one to it.
    """

    def errors(self, data: dict, lookup: Lookup, record_id: str) -> Errors:
        if data.get("date") and data.get("hours"):
            already = lookup.hours_on(data["date"], record_id)
            if already + data["hours"] > 24:
                return {"hours": (N_plural(
                    "With your other entries this day has more than 24 hours "
                    "(%(hours)s hour already recorded)",
                    "With your other entries this day has more than 24 hours "
                    "(%(hours)s hours already recorded)", "hours"), {"hours": already})}
        return {}

    def as_json(self) -> None:
        return None


Rule = RequiredWhen | OneOf | NotBefore | DayOfHours


@dataclass(frozen=True)
class Judgement:
    """Fields in which a coach judges other fields of the entry (verifying hours).

    The verdict and its reason are one statement: a write carries all of it or none.
    A verdict names its coach (``by``, set by the write path). A change to what it
    judges (``about``) by anyone else undoes it, and a stale verdict never lands on
    changed hours.
    """

    fields: frozenset[str]
    about: frozenset[str]
    by: str


@dataclass(frozen=True)
class RecordType:
    """A kind of profile entry (one section of the profile, or part of one)."""

    name: str
    fields: list[Field]
    singleton: bool = False  # one per person, e.g. the basics
    staff_only: bool = False  # only staff create these, e.g. comments
    title: tuple[str, ...] = ()  # the fields that name an entry, first filled in wins
    rules: tuple[Rule, ...] = ()  # across fields, or across the person's entries; in order
    judgement: Judgement | None = None
    # What a write also updates: field -> column of the person's account (users);
    # and sums over the person's entries: data -> (period, amount, verified amount).
    account_columns: dict[str, str] = field(default_factory=dict)
    tally: Callable[[dict], list[tuple[str, float, float]]] | None = None

    def field(self, name: str) -> Field | None:
        """The field called ``name``, if any."""
        return next((f for f in self.fields if f.name == name), None)

    @property
    def staff_fields(self) -> set[str]:
        """The fields only a coach sets (a verdict on hours)."""
        return {f.name for f in self.fields if f.staff_only}

    @property
    def editable_fields(self) -> list[Field]:
        """The fields a refugee or volunteer fills in (not the coach's)."""
        return [f for f in self.fields if not f.staff_only]


TEXT = 120
LONG = 2000

RECORD_TYPES: dict[str, RecordType] = {t.name: t for t in [
    RecordType("basics", singleton=True, title=("display_name",), rules=(
        RequiredWhen("procedure_start", "residence", "asylum_seeker",
                     N_("Enter the date of your asylum application")),
        RequiredWhen("permit_date", "residence", "status_holder",
                     N_("Enter the date of your residence permit")),
        NotBefore("procedure_start", "permit_date",
                  N_("The permit date cannot be before the asylum application"))),
               account_columns={"display_name": "display_name", "location_id": "location_id",
                                "preferred_language": "locale"}, fields=[
        Field("display_name", "text", N_("Your name"),
              N_("The name you want others to use."), required=True, max_length=80),
        Field("preferred_language", "locale", N_("Language of the app"), required=True),
        Field("location_id", "location", N_("Where you live now"),
              N_("The asylum centre or municipality."), required=True),
        Field("residence", "choice", N_("Your situation"), choices=RESIDENCE, required=True),
        Field("procedure_start", "date", N_("Date of your asylum application"),
              N_("You find it on your W-document."), not_future=True),
        Field("permit_date", "date", N_("Date of your residence permit"), not_future=True),
        *spoken(Field("my_goal", "longtext", N_("My goal"),
                      N_("In your own words: what work do you want to do?"), max_length=1000)),
    ]),
    RecordType("ambition", title=("occupation", "sector", "note"), rules=(
        OneOf(("occupation", "sector", "note", "note_voice"),
              N_("Choose an occupation or a sector, or describe your wish")),),
               fields=[
        Field("occupation", "code:occupation", N_("Occupation you want")),
        Field("sector", "code:sector", N_("Sector")),
        Field("work_form", "choice", N_("Form of work"), choices=WORK_FORMS, required=True),
        Field("hours_per_week", "int", N_("Hours per week"), minimum=1, maximum=60),
        Field("regions", "multi", N_("Where you want to live and work"), choices=REGIONS),
        *spoken(Field("note", "longtext", N_("More about this wish"), max_length=1000)),
    ]),
    RecordType("skill", title=("code", "free_text"), rules=(
        OneOf(("code", "free_text", "free_text_voice"),
              N_("Choose a skill from the list or write it in your own words")),), fields=[
        Field("code", "code:skill", N_("Skill")),
        *spoken(Field("free_text", "text", N_("Other skill, in your own words"),
                      N_("Use this when you cannot find your skill in the list."),
                      max_length=TEXT)),
        Field("level", "choice", N_("How well can you do it?"), choices=SKILL_LEVELS,
              required=True),
        Field("learned", "choice", N_("Where did you learn it?"), choices=LEARNED_HOW,
              required=True),
        *spoken(Field("note", "longtext", N_("Example of what you did"), max_length=1000)),
        Field("files", "files", N_("Certificate or photos of your work")),
    ]),
    RecordType("language", title=("language",), fields=[
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
    RecordType("education", title=("field",), rules=(NotBefore(
        "start_year", "end_year", N_("The end year cannot be before the start year")),),
               fields=[
        Field("level", "choice", N_("Level"), choices=EDUCATION_LEVELS, required=True),
        Field("field", "text", N_("Subject or field"), N_("For example: nursing, law."),
              max_length=TEXT, required=True),
        Field("institution", "text", N_("School or university"), max_length=TEXT),
        Field("country", "country", N_("Country")),
        Field("start_year", "year", N_("Start year")),
        Field("end_year", "year", N_("End year")),
        Field("diploma", "choice", N_("Do you have the diploma?"), choices=DIPLOMA,
              required=True),
        Field("evaluation", "choice", N_("Diploma evaluation"),
              N_("The Netherlands can compare your diploma with a Dutch one (IDW)."),
              choices=EVALUATION),
        Field("files", "files", N_("Photos of your diploma and grade list"),
              N_("A photo of each page. The diploma evaluation (IDW) needs them.")),
    ]),
    RecordType("work", title=("job_title",), rules=(NotBefore(
        "start", "end", N_("The end cannot be before the start")),), fields=[
        Field("job_title", "text", N_("Job"), required=True, max_length=TEXT),
        Field("occupation", "code:occupation", N_("Occupation in the list")),
        Field("employer", "text", N_("Employer or own business"), max_length=TEXT),
        Field("country", "country", N_("Country")),
        Field("start", "month", N_("Start"), required=True, not_future=True),
        Field("end", "month", N_("End"), N_("Leave empty if you still work there."),
              not_future=True),
        *spoken(Field("description", "longtext", N_("What did you do?"), max_length=LONG)),
        Field("files", "files", N_("Reference letter, certificate or photos of your work")),
    ]),
    RecordType("volunteer", title=("activity",), rules=(
        RequiredWhen("status_reason", "status", "questioned",
                     N_("Give a reason why you question these hours")),
        DayOfHours()), tally=hours.tally,
               judgement=Judgement(fields=frozenset({"status", "status_reason"}),
                                   about=frozenset({"date", "hours", "organisation",
                                                    "activity"}), by="status_by"), fields=[
        Field("date", "date", N_("Date"), required=True, not_future=True),
        Field("organisation", "text", N_("Organisation"), required=True, max_length=TEXT),
        Field("activity", "text", N_("What did you do?"), required=True, max_length=200),
        Field("hours", "hours", N_("Hours"), N_("For example 2 or 1.5"), required=True),
        Field("files", "files", N_("Statement or photos"),
              N_("For example the organisation's statement of your hours.")),
        Field("status", "choice", N_("Status"), choices=HOURS_STATUS, staff_only=True,
              default="self_reported"),
        Field("status_reason", "text", N_("Reason"), max_length=300, staff_only=True),
        # Who gave the verdict: any coach of the place may change it, and the person
        # sees who did.
        Field("status_by", "user", N_("Checked by"), staff_only=True, derived=True),
    ]),
    RecordType("goal", title=("title",), fields=[
        Field("title", "text", N_("Goal"), required=True, max_length=TEXT),
        *spoken(Field("description", "longtext", N_("Why this goal?"), max_length=1000)),
        Field("due", "date", N_("When do you want to reach it?")),
        Field("status", "choice", N_("Status"), choices=GOAL_STATUS, required=True,
              default="planned"),
    ]),
    RecordType("step", title=("text",), fields=[
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


class ValidationFailed(Exception):
    """The data is not valid; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, Message]):
        super().__init__(errors)
        self.errors = errors


def validate(record_type: str, data: dict, ctx: Lookup, record_id: str,
             today: date) -> dict:
    """Check a record's full data; return it cleaned or raise ``ValidationFailed``.

    Unknown field names are rejected rather than ignored, so a tampered or
    outdated payload never stores something no one can see.
    """
    spec = RECORD_TYPES[record_type]
    errors: dict[str, Message] = {}
    unknown = set(data) - {f.name for f in spec.fields}
    if unknown:
        # The names are echoed to the phone: only what can be shown and stored.
        names = ", ".join(sorted(n if storable(n) else repr(n) for n in unknown))
        errors["__all__"] = (N_("Unknown fields: %(names)s"), {"names": names})
    clean: dict[str, Any] = {}
    for f in spec.fields:
        value, error = f.spec.clean(f, data.get(f.name, f.default), today, ctx)
        if error:
            errors[f.name] = error
        else:
            clean[f.name] = value
    if not errors:
        for rule in spec.rules:
            errors.update(rule.errors(clean, ctx, record_id))
    if errors:
        raise ValidationFailed(errors)
    return clean
