"""Validation of every record type: bad input gets a message on the right field."""

from __future__ import annotations

import unicodedata

import pytest

from sync.kinds import clean_text
from sync.messages import too_long
from sync.records import RECORD_TYPES, ValidationFailed, validate
from sync.store import open_store
from sync.write import new_id
from tests.sync_fixtures import TODAY, add_people, delete, hours, put

GOAL_ID = new_id()
ENTRY_ID = new_id()
TOO_LONG = "x" * 121


class Context:
    """Validation's view of the store: one place, one goal, one entry, 3 hours on 1 March."""

    def location_exists(self, location_id):
        return location_id == "loc-a"

    def own_record_type(self, record_id):
        return {GOAL_ID: "goal", ENTRY_ID: "volunteer"}.get(record_id)

    def hours_on(self, day, exclude_id):
        return 3.0 if day == "2026-03-01" else 0.0


GOOD = {
    "basics": {"display_name": "Amina", "preferred_language": "nl", "location_id": "loc-a",
               "residence": "asylum_seeker", "procedure_start": "2025-09-01"},
    "ambition": {"occupation": "7112.1", "sector": "sector.construction",
                 "work_form": "employment", "hours_per_week": "32",
                 "regions": ["utrecht", "groningen"]},
    "skill": {"code": "skill.trades.welding", "level": "3", "learned": "work"},
    "language": {"language": "ti", "mother_tongue": "yes", "understanding": "C2",
                 "speaking": "C2", "reading": "B2", "writing": "B1"},
    "education": {"level": "bachelor", "field": "Nursing", "country": "SY",
                  "start_year": "2010", "end_year": "2014", "diploma": "lost"},
    "work": {"job_title": "Welder", "country": "ER", "start": "2015-03", "end": "2019-08"},
    "volunteer": hours(),
    "goal": {"title": "Work as a nurse", "due": "2027-01-01"},
    "step": {"goal_id": GOAL_ID, "text": "Ask for a diploma evaluation"},
    "comment": {"record_id": ENTRY_ID, "body": "Well done"},
}


def check(record_type, data, record_id=None):
    return validate(record_type, data, Context(), record_id or new_id(), TODAY)


@pytest.mark.parametrize("record_type", sorted(RECORD_TYPES))
def test_good_input_of_every_type_is_valid(record_type):
    clean = check(record_type, GOOD[record_type])
    assert set(clean) == {f.name for f in RECORD_TYPES[record_type].fields}


def test_good_input_is_cleaned_into_typed_values():
    ambition = check("ambition", {**GOOD["ambition"], "regions": ["utrecht", "groningen"]})
    assert ambition["hours_per_week"] == 32
    # Kept in the order of the list, so the same wish never looks like a change.
    assert ambition["regions"] == ["groningen", "utrecht"]
    education = check("education", GOOD["education"])
    assert (education["start_year"], education["end_year"]) == (2010, 2014)
    language = check("language", GOOD["language"])
    assert (language["mother_tongue"], language["learning"]) == (True, False)
    assert check("volunteer", hours(amount="1,25"))["hours"] == 1.25
    goal = check("goal", GOOD["goal"])
    assert (goal["status"], goal["description"]) == ("planned", None)


REQUIRED = "This field is required"
CHOOSE = "Choose from the list"
TOO_MANY = too_long(0, 0)[0]
HOURS_NUMBER = "Enter the hours as a number, like 2 or 1.5"
HOURS_DAY = "A day has at most 24 hours"
HOURS_POSITIVE = "Hours must be more than 0"
REAL_DATE = "Enter a real date, like %(example)s"
FUTURE_DATE = "The date cannot be in the future"
MONTH = "Enter a month and year, like %(example)s"

BAD = [
    # basics
    ("basics", {"display_name": ""}, "display_name", REQUIRED),
    ("basics", {"display_name": "   "}, "display_name", REQUIRED),
    ("basics", {"display_name": "x" * 81}, "display_name", TOO_MANY),
    ("basics", {"preferred_language": "de"}, "preferred_language", CHOOSE),
    ("basics", {"location_id": ""}, "location_id", "Choose a place"),
    ("basics", {"location_id": "loc-elsewhere"}, "location_id", "Choose a place from the list"),
    ("basics", {"residence": None}, "residence", "Choose one"),
    ("basics", {"procedure_start": "2026-03-16"}, "procedure_start", FUTURE_DATE),
    ("basics", {"procedure_start": None}, "procedure_start",
     "Enter the date of your asylum application"),
    ("basics", {"residence": "status_holder"}, "permit_date",
     "Enter the date of your residence permit"),
    ("basics", {"residence": "status_holder", "permit_date": "2025-01-01"}, "permit_date",
     "The permit date cannot be before the asylum application"),
    ("basics", {"passport": "X123"}, "__all__", "Unknown fields: %(names)s"),
    # ambition
    ("ambition", {"work_form": ""}, "work_form", "Choose one"),
    ("ambition", {"occupation": "9999.9"}, "occupation", CHOOSE),
    ("ambition", {"sector": "sector.piracy"}, "sector", CHOOSE),
    ("ambition", {"occupation": None, "sector": None}, "occupation",
     "Choose an occupation or a sector, or describe your wish"),
    ("ambition", {"hours_per_week": "0"}, "hours_per_week",
     "Enter a number from %(min)s to %(max)s"),
    ("ambition", {"hours_per_week": "61"}, "hours_per_week",
     "Enter a number from %(min)s to %(max)s"),
    ("ambition", {"hours_per_week": "1.5"}, "hours_per_week", "Enter a whole number"),
    ("ambition", {"regions": ["utrecht", "atlantis"]}, "regions", CHOOSE),
    ("ambition", {"regions": "atlantis"}, "regions", CHOOSE),
    ("ambition", {"note": "x" * 1001}, "note", TOO_MANY),
    # skill
    ("skill", {"code": "skill.trades.nope"}, "code", CHOOSE),
    ("skill", {"code": "7112.1"}, "code", CHOOSE),  # an occupation is not a skill
    ("skill", {"code": None}, "code",
     "Choose a skill from the list or write it in your own words"),
    ("skill", {"code": None, "free_text": TOO_LONG}, "free_text", TOO_MANY),
    ("skill", {"level": "5"}, "level", CHOOSE),
    ("skill", {"learned": ""}, "learned", "Choose one"),
    # language
    ("language", {"language": ""}, "language", "Choose a language"),
    ("language", {"language": "xx"}, "language", "Choose a language from the list"),
    ("language", {"language": "AR"}, "language", "Choose a language from the list"),
    ("language", {"speaking": "D1"}, "speaking", CHOOSE),
    ("language", {"mother_tongue": "maybe"}, "mother_tongue", "Choose yes or no"),
    ("language", {"course": TOO_LONG}, "course", TOO_MANY),
    # education
    ("education", {"field": ""}, "field", REQUIRED),
    ("education", {"field": TOO_LONG}, "field", TOO_MANY),
    ("education", {"country": "XX"}, "country", "Choose a country from the list"),
    ("education", {"country": "sy"}, "country", "Choose a country from the list"),
    ("education", {"country": "Syria"}, "country", "Choose a country from the list"),
    ("education", {"start_year": "1899"}, "start_year", "Enter a year from %(min)s to %(max)s"),
    ("education", {"end_year": "2027"}, "end_year", "Enter a year from %(min)s to %(max)s"),
    ("education", {"start_year": "2014", "end_year": "2010"}, "end_year",
     "The end year cannot be before the start year"),
    # work
    ("work", {"job_title": ""}, "job_title", REQUIRED),
    ("work", {"job_title": TOO_LONG}, "job_title", TOO_MANY),
    ("work", {"employer": TOO_LONG}, "employer", TOO_MANY),
    ("work", {"start": ""}, "start", "Enter a month and year"),
    ("work", {"start": "2019-13"}, "start", MONTH),
    ("work", {"start": "2019-00"}, "start", MONTH),
    ("work", {"start": "2019-8"}, "start", MONTH),
    ("work", {"start": "1899-12"}, "start", MONTH),
    ("work", {"end": "2026-04"}, "end", "The month cannot be in the future"),
    ("work", {"start": "2019-08", "end": "2019-07"}, "end", "The end cannot be before the start"),
    ("work", {"occupation": "7112"}, "occupation", CHOOSE),
    ("work", {"country": "Eritrea"}, "country", "Choose a country from the list"),
    # volunteer
    ("volunteer", {"date": ""}, "date", "Enter a date"),
    ("volunteer", {"date": "2026-03-16"}, "date", FUTURE_DATE),
    ("volunteer", {"date": "2026-02-30"}, "date", REAL_DATE),
    ("volunteer", {"date": "2026-13-01"}, "date", REAL_DATE),
    ("volunteer", {"date": "1-3-2026"}, "date", REAL_DATE),
    ("volunteer", {"date": "20260301"}, "date", REAL_DATE),
    ("volunteer", {"date": "1899-12-31"}, "date", "Enter a date after 1900"),
    ("volunteer", {"organisation": ""}, "organisation", REQUIRED),
    ("volunteer", {"organisation": TOO_LONG}, "organisation", TOO_MANY),
    ("volunteer", {"activity": "x" * 201}, "activity", TOO_MANY),
    ("volunteer", {"hours": ""}, "hours", "Enter the hours"),
    ("volunteer", {"hours": "0"}, "hours", HOURS_POSITIVE),
    ("volunteer", {"hours": 0}, "hours", HOURS_POSITIVE),
    ("volunteer", {"hours": "-1"}, "hours", HOURS_POSITIVE),
    ("volunteer", {"hours": "24.5"}, "hours", HOURS_DAY),
    ("volunteer", {"hours": "abc"}, "hours", HOURS_NUMBER),
    ("volunteer", {"hours": "1e3"}, "hours", HOURS_DAY),
    ("volunteer", {"hours": "nan"}, "hours", HOURS_NUMBER),
    ("volunteer", {"hours": float("nan")}, "hours", HOURS_NUMBER),
    ("volunteer", {"hours": "inf"}, "hours", HOURS_NUMBER),
    ("volunteer", {"hours": "-Infinity"}, "hours", HOURS_NUMBER),
    ("volunteer", {"hours": "1.1"}, "hours",
     "Round the hours to a quarter hour, like 1.25 or 1.5"),
    ("volunteer", {"hours": True}, "hours", "This value is not valid"),
    ("volunteer", {"hours": [2]}, "hours", "This value is not valid"),
    ("volunteer", {"status": "approved"}, "status", CHOOSE),
    ("volunteer", {"status": "questioned"}, "status_reason",
     "Give a reason why you question these hours"),
    ("volunteer", {"status_reason": "x" * 301}, "status_reason", TOO_MANY),
    ("volunteer", {"verified_by": "me"}, "__all__", "Unknown fields: %(names)s"),
    # goal and step
    ("goal", {"title": ""}, "title", REQUIRED),
    ("goal", {"title": TOO_LONG}, "title", TOO_MANY),
    ("goal", {"due": "2027-02-29"}, "due", REAL_DATE),
    ("goal", {"status": "forgotten"}, "status", CHOOSE),
    ("step", {"goal_id": ""}, "goal_id", REQUIRED),
    ("step", {"goal_id": ENTRY_ID}, "goal_id", "This entry does not exist"),
    ("step", {"goal_id": new_id()}, "goal_id", "This entry does not exist"),
    ("step", {"text": "x" * 201}, "text", TOO_MANY),
    # comment
    ("comment", {"body": ""}, "body", REQUIRED),
    ("comment", {"record_id": new_id()}, "record_id", "This entry does not exist"),
]


@pytest.mark.parametrize("record_type, changes, field, msgid", BAD,
                         ids=[f"{t}-{f}-{i}" for i, (t, _, f, _) in enumerate(BAD)])
def test_bad_input_gets_a_message_on_its_field(record_type, changes, field, msgid):
    with pytest.raises(ValidationFailed) as error:
        check(record_type, {**GOOD[record_type], **changes})
    assert error.value.errors[field][0] == msgid
    assert set(error.value.errors) == {field}


@pytest.mark.parametrize("field, text, limit", [
    ("organisation", "x" * 121, 120), ("activity", "x" * 201, 200),
])
def test_too_long_text_names_the_limit_and_the_length(field, text, limit):
    with pytest.raises(ValidationFailed) as error:
        check("volunteer", {**hours(), field: text})
    assert error.value.errors[field][1] == {"max": limit, "count": len(text)}


def test_text_at_the_limit_is_fine():
    assert check("volunteer", {**hours(), "organisation": "x" * 120})["organisation"] == "x" * 120


def test_unknown_fields_are_named():
    with pytest.raises(ValidationFailed) as error:
        check("skill", {**GOOD["skill"], "zz": 1, "aa": 2})
    assert error.value.errors["__all__"] == ("Unknown fields: %(names)s", {"names": "aa, zz"})


def test_staff_fields_start_self_reported():
    assert check("volunteer", hours())["status"] == "self_reported"


def test_hours_over_a_day_counting_other_entries():
    with pytest.raises(ValidationFailed) as error:
        check("volunteer", hours(amount="21.5"))  # Context has 3 hours on 2026-03-01
    message, params = error.value.errors["hours"]
    assert message.plural == ("With your other entries this day has more than 24 hours "
                              "(%(hours)s hours already recorded)")
    assert (message.number, params) == ("hours", {"hours": 3.0})
    assert check("volunteer", hours(amount="21"))["hours"] == 21.0


def test_more_than_24_hours_on_one_day_across_two_entries(database):
    store = open_store(database)
    try:
        people = add_people(store)
        first = put(store, people.amina, people.amina, "volunteer", hours(amount="16"))
        with pytest.raises(ValidationFailed) as error:
            put(store, people.amina, people.amina, "volunteer", hours(amount="8.25"))
        assert error.value.errors["hours"][1] == {"hours": 16.0}
        second = put(store, people.amina, people.amina, "volunteer", hours(amount="8"))
        # Editing an entry does not count its own old hours.
        put(store, people.amina, people.amina, "volunteer", hours(amount="15"),
            record_id=first.record_id, base=1)
        # Hours of a deleted entry are free again; another day is another day.
        delete(store, people.amina, people.amina, "volunteer", second.record_id, 1)
        put(store, people.amina, people.amina, "volunteer", hours(amount="9"))
        put(store, people.amina, people.amina, "volunteer", hours(day="2026-03-02", amount="24"))
        assert len(store.records(people.amina.id, "volunteer")) == 3
    finally:
        store.close()


# -- text is stored as written ------------------------------------------------

ARABIC = "أعمل في المطبخ منذ عشر سنوات 🍲"
TIGRINYA = "ኣብ ክሽነ ንዓሰርተ ዓመት ሰሪሐ 👩🏾‍🍳"


@pytest.mark.parametrize("text", [ARABIC, TIGRINYA, "Zoë werkt 🇳🇱", "<b>bold</b> & co"])
def test_text_in_any_script_round_trips(text):
    clean = check("volunteer", {**hours(), "activity": text})
    assert clean["activity"] == text


def test_text_round_trips_through_the_database(database):
    store = open_store(database)
    try:
        people = add_people(store)
        outcome = put(store, people.amina, people.amina, "volunteer",
                      {**hours(), "organisation": TIGRINYA, "activity": ARABIC})
        data = open_store(database).record(outcome.record_id)["data"]
        assert (data["organisation"], data["activity"]) == (TIGRINYA, ARABIC)
    finally:
        store.close()


def test_text_is_normalised_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Zoë Müller")
    assert decomposed != "Zoë Müller"
    assert check("volunteer", {**hours(), "organisation": decomposed})["organisation"] == (
        "Zoë Müller")


def test_markup_is_stored_as_written():
    # Escaping is the renderer's job; the store keeps what the person typed.
    body = "<script>alert(1)</script>"
    assert check("comment", {**GOOD["comment"], "body": body})["body"] == body
    assert check("goal", {"title": body})["title"] == body


@pytest.mark.parametrize("raw, expected", [
    ("Sorting\x00 food", "Sorting food"),
    ("Sorting\x07\x1b[31m food", "Sorting[31m food"),
    ("Sort\x7fing food", "Sorting food"),
    ("Sort\x9bing\x85 food", "Sorting food"),  # C1 controls
    ("  Sorting \t\n food  ", "Sorting food"),
])
def test_control_characters_are_removed_from_a_line(raw, expected):
    assert check("volunteer", {**hours(), "activity": raw})["activity"] == expected


def test_longtext_keeps_its_lines_and_loses_control_characters():
    note = "Line one\r\nLine two\rLine\x00 three\x9b\n\n  indented"
    assert clean_text(note, multiline=True) == "Line one\nLine two\nLine three\n\n  indented"


def test_only_control_characters_count_as_empty():
    with pytest.raises(ValidationFailed) as error:
        check("goal", {"title": "\x00\x01 \x02"})
    assert error.value.errors["title"][0] == REQUIRED


def test_arabic_indic_and_persian_digits_count_as_numbers():
    work = check("work", {**GOOD["work"], "start": "٢٠١٥-٠٣", "end": "۲۰۱۹-۰۸"})
    assert (work["start"], work["end"]) == ("2015-03", "2019-08")
    assert check("volunteer", hours(amount="٢٫٥"))["hours"] == 2.5


@pytest.mark.parametrize("code", ["ZZ", "EU", "UN"])
def test_regions_that_are_not_countries_are_refused(code):
    with pytest.raises(ValidationFailed) as failure:
        check("education", {**GOOD["education"], "country": code})
    assert failure.value.errors["country"][0] == "Choose a country from the list"


def test_dari_is_a_language_a_person_can_list():
    assert check("language", {**GOOD["language"], "language": "prs"})["language"] == "prs"
