"""Work rules as dated data: which version applies, and what it means for a person."""

from __future__ import annotations

from datetime import date

import pytest

from sync import work_rules
from sync.messages import N_plural, Plural, too_long
from sync.work_rules import add_months, paid_rule_on, rule_in_force, validate_rule, work_advice

PACT_DAY = date(2026, 6, 12)


@pytest.fixture
def rules():
    """The shipped rule versions, as the database holds them after seeding."""
    return work_rules.load_seed_rules()


def activated(rules, rule_id):
    return [{**r, "status": "active"} if r["id"] == rule_id else r for r in rules]


def msgids(advice):
    return [msgid for msgid, _ in advice.notes]


def new_rule(**changes):
    """A valid admin form for a new paid-work version."""
    form = {"kind": "paid", "effective_from": "2027-01-01", "status": "active",
            "allowed": "y", "waiting_months": "4", "cap_weeks": "", "cap_period_months": "",
            "requires_twv": "y", "source": "Staatsblad 2026, 123", "note": ""}
    return {**form, **changes}


# -- the seed data ------------------------------------------------------------


def test_every_seed_rule_passes_the_admin_validation(rules):
    for rule in rules:
        clean, errors = validate_rule(rule)
        assert errors == {}, rule["id"]
        assert clean == rule


def test_seed_rules_have_unique_ids(rules):
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))


def test_the_migration_pact_ships_as_a_draft(rules):
    [pact] = [r for r in rules if r["effective_from"] == PACT_DAY.isoformat()]
    assert pact["status"] == "draft"
    assert pact["waiting_months"] == 3


# -- which version is in force ------------------------------------------------


def test_before_the_ruling_paid_work_was_capped_at_24_weeks(rules):
    rule = paid_rule_on(rules, date(2023, 1, 10))
    assert (rule["cap_weeks"], rule["cap_period_months"]) == (24, 12)


def test_the_ruling_lifts_the_cap_from_29_november_2023(rules):
    assert paid_rule_on(rules, date(2023, 11, 28))["cap_weeks"] == 24
    assert paid_rule_on(rules, date(2023, 11, 29))["cap_weeks"] is None
    assert paid_rule_on(rules, date(2025, 11, 1))["id"] == "paid-2023-11-29"


def test_no_rule_is_in_force_before_the_first_version(rules):
    assert paid_rule_on(rules, date(2000, 1, 1)) is None
    assert rule_in_force(rules, "volunteer", date(2000, 1, 1)) is None


def test_a_draft_is_never_in_force(rules):
    assert paid_rule_on(rules, date(2030, 1, 1))["id"] == "paid-2023-11-29"


def test_an_activated_draft_applies_from_its_own_date(rules):
    rules = activated(rules, "paid-2026-06-12-migration-pact")
    assert paid_rule_on(rules, date(2026, 6, 11))["id"] == "paid-2023-11-29"
    assert paid_rule_on(rules, PACT_DAY)["id"] == "paid-2026-06-12-migration-pact"


def test_an_admin_added_version_takes_over_from_its_date(rules):
    clean, errors = validate_rule(new_rule())
    assert errors == {}
    rules = [*rules, clean]
    assert paid_rule_on(rules, date(2026, 12, 31))["id"] == "paid-2023-11-29"
    assert paid_rule_on(rules, date(2027, 1, 1))["id"] == "paid-2027-01-01"
    assert rule_in_force(rules, "volunteer", date(2027, 1, 1))["id"] == "volunteer-2008-02-13"


def test_a_retired_version_no_longer_counts(rules):
    rules = [{**r, "status": "retired"} if r["id"] == "paid-2023-11-29" else r for r in rules]
    assert paid_rule_on(rules, date(2025, 1, 1))["cap_weeks"] == 24


# -- calendar months ----------------------------------------------------------


@pytest.mark.parametrize(("start", "months", "expected"), [
    (date(2025, 1, 15), 6, date(2025, 7, 15)),
    (date(2025, 8, 31), 6, date(2026, 2, 28)),
    (date(2023, 8, 31), 6, date(2024, 2, 29)),
    (date(2025, 12, 31), 3, date(2026, 3, 31)),
    (date(2025, 11, 30), 3, date(2026, 2, 28)),
    (date(2025, 5, 31), 1, date(2025, 6, 30)),
    (date(2025, 3, 1), 0, date(2025, 3, 1)),
    (date(2025, 7, 10), 24, date(2027, 7, 10)),
])
def test_add_months_counts_calendar_months_and_clamps_to_the_month_end(start, months,
                                                                        expected):
    assert add_months(start, months) == expected


# -- advice -------------------------------------------------------------------


def test_an_asylum_seeker_may_volunteer_from_the_start(rules):
    advice = work_advice("asylum_seeker", date(2025, 10, 1), None, date(2025, 10, 2), rules)
    assert advice.volunteer_allowed
    assert ("You may do volunteer work. The organisation needs a volunteer statement "
            "from UWV.", {}) in advice.notes


def test_paid_work_starts_six_months_after_the_application(rules):
    advice = work_advice("asylum_seeker", date(2025, 8, 31), None, date(2025, 11, 1), rules)
    assert advice.paid_from == date(2026, 2, 28)
    assert not advice.paid_allowed_now
    assert advice.requires_twv
    assert advice.cap_weeks is None
    assert ("You may do paid work from %(date)s. Your employer must ask UWV for a work "
            "permit (TWV).", {"date": date(2026, 2, 28)}) in advice.notes


def test_paid_work_is_allowed_on_the_first_day_of_the_seventh_month(rules):
    start = date(2025, 1, 15)
    assert not work_advice("asylum_seeker", start, None, date(2025, 7, 14),
                           rules).paid_allowed_now
    assert work_advice("asylum_seeker", start, None, date(2025, 7, 15), rules).paid_allowed_now


def test_advice_on_a_date_before_the_ruling_mentions_the_cap(rules):
    advice = work_advice("asylum_seeker", date(2022, 1, 5), None, date(2023, 1, 10), rules)
    assert advice.paid_allowed_now
    assert (advice.cap_weeks, advice.cap_period_months) == (24, 12)
    limits = {message.plural: params for message, params in advice.notes
              if isinstance(message, Plural)}
    assert limits["There is a limit: at most %(weeks)s weeks of paid work."] == {"weeks": 24}
    assert limits["The limit counts in every period of %(months)s months."] == {"months": 12}
    assert [r["id"] for r in advice.basis] == ["volunteer-2008-02-13", "paid-2008-02-13"]


def test_advice_after_the_ruling_has_no_cap(rules):
    advice = work_advice("asylum_seeker", date(2022, 1, 5), None, date(2023, 11, 29), rules)
    assert advice.paid_allowed_now
    assert advice.cap_weeks is None
    assert not any("limit" in msgid for msgid in msgids(advice))
    assert advice.basis[-1]["source"].startswith("Raad van State")


def test_a_draft_rule_does_not_change_the_advice(rules):
    advice = work_advice("asylum_seeker", date(2026, 5, 1), None, date(2026, 9, 1), rules)
    assert advice.paid_from == date(2026, 11, 1)
    assert not advice.paid_allowed_now


def test_an_activated_pact_rule_shortens_the_wait_from_its_date(rules):
    rules = activated(rules, "paid-2026-06-12-migration-pact")
    before = work_advice("asylum_seeker", date(2026, 5, 1), None, date(2026, 6, 1), rules)
    after = work_advice("asylum_seeker", date(2026, 5, 1), None, date(2026, 9, 1), rules)
    assert before.paid_from == date(2026, 11, 1)
    assert ("The rules for paid work change on %(date)s. This advice may change then.",
            {"date": PACT_DAY}) in before.notes
    assert after.paid_from == date(2026, 8, 1)
    assert after.paid_allowed_now


def test_a_version_forbidding_paid_work_says_so(rules):
    clean, errors = validate_rule(new_rule(allowed="", waiting_months="", requires_twv=""))
    assert errors == {}
    advice = work_advice("asylum_seeker", date(2020, 1, 1), None, date(2027, 2, 1),
                         [*rules, clean])
    assert not advice.paid_allowed_now
    assert advice.paid_from is None
    assert "Asylum seekers may not do paid work at the moment." in msgids(advice)


def test_a_missing_application_date_asks_for_it(rules):
    advice = work_advice("asylum_seeker", None, None, date(2025, 11, 1), rules)
    assert advice.volunteer_allowed
    assert not advice.paid_allowed_now
    assert advice.paid_from is None
    assert ("Fill in the date of your asylum application. Then we can show from when you "
            "may do paid work.") in msgids(advice)


def test_an_application_date_may_be_an_iso_string(rules):
    advice = work_advice("asylum_seeker", "2025-08-31", None, date(2025, 11, 1), rules)
    assert advice.paid_from == date(2026, 2, 28)


def test_a_status_holder_has_free_access_to_work(rules):
    advice = work_advice("status_holder", date(2024, 1, 1), date(2025, 3, 3),
                         date(2025, 11, 1), rules)
    assert advice.volunteer_allowed and advice.paid_allowed_now
    assert not advice.requires_twv
    assert advice.paid_from == date(2025, 3, 3)
    assert advice.basis == ()
    assert len(advice.notes) == 1
    assert "residence permit" in advice.notes[0][0]


@pytest.mark.parametrize("residence", [None, "", "tourist"])
def test_an_unknown_residence_asks_to_fill_it_in(rules, residence):
    advice = work_advice(residence, date(2024, 1, 1), None, date(2025, 11, 1), rules)
    assert advice.residence is None
    assert not advice.volunteer_allowed and not advice.paid_allowed_now
    assert msgids(advice) == ["Fill in whether you are in the asylum procedure or have a "
                              "residence permit. Then we can show which work you may do."]


def test_without_any_rules_the_advice_sends_people_to_their_coach():
    advice = work_advice("asylum_seeker", date(2024, 1, 1), None, date(2025, 11, 1), [])
    assert not advice.volunteer_allowed and not advice.paid_allowed_now
    assert msgids(advice) == [
        "There is no rule about volunteer work here yet. Ask your coach.",
        "There is no rule about paid work here yet. Ask your coach.",
    ]


# -- validation of a new version ----------------------------------------------


def test_a_valid_form_is_typed_and_gets_an_id():
    clean, errors = validate_rule(new_rule(note="  Wet van 2026  ", unknown="dropped"))
    assert errors == {}
    assert clean == {"id": "paid-2027-01-01", "kind": "paid", "effective_from": "2027-01-01",
                     "status": "active", "allowed": True, "requires_twv": True,
                     "waiting_months": 4, "cap_weeks": None, "cap_period_months": None,
                     "applies_to": "all", "source": "Staatsblad 2026, 123",
                     "note": "Wet van 2026"}


def test_a_cap_needs_weeks_and_a_period():
    clean, errors = validate_rule(new_rule(cap_weeks="24", cap_period_months="12"))
    assert errors == {}
    assert (clean["cap_weeks"], clean["cap_period_months"]) == (24, 12)


def test_an_unticked_checkbox_means_no():
    form = new_rule()
    del form["requires_twv"]
    clean, errors = validate_rule(form)
    assert errors == {}
    assert clean["requires_twv"] is False


@pytest.mark.parametrize(("changes", "field", "msgid"), [
    ({"kind": ""}, "kind", "Choose paid or volunteer work"),
    ({"kind": "study"}, "kind", "Choose paid or volunteer work"),
    ({"effective_from": ""}, "effective_from", "Enter a date like %(example)s"),
    ({"effective_from": "2026-02-30"}, "effective_from", "Enter a date like %(example)s"),
    ({"effective_from": "2026-13-01"}, "effective_from", "Enter a date like %(example)s"),
    ({"effective_from": "31-03-2026"}, "effective_from", "Enter a date like %(example)s"),
    ({"effective_from": "2026-3-1"}, "effective_from", "Enter a date like %(example)s"),
    ({"effective_from": "1850-01-01"}, "effective_from",
     "Enter a date from %(first)s to %(last)s"),
    ({"status": "retired"}, "status", "Choose active or draft"),
    ({"status": ""}, "status", "Choose active or draft"),
    ({"allowed": "maybe"}, "allowed", "Choose yes or no"),
    ({"waiting_months": "-1"}, "waiting_months",
     "Waiting period must be a whole number of months from 0 to %(max)s"),
    ({"waiting_months": "61"}, "waiting_months",
     "Waiting period must be a whole number of months from 0 to %(max)s"),
    ({"waiting_months": "6.5"}, "waiting_months",
     "Waiting period must be a whole number of months from 0 to %(max)s"),
    ({"waiting_months": "six"}, "waiting_months",
     "Waiting period must be a whole number of months from 0 to %(max)s"),
    ({"waiting_months": True}, "waiting_months",
     "Waiting period must be a whole number of months from 0 to %(max)s"),
    ({"waiting_months": -3}, "waiting_months",
     "Waiting period must be a whole number of months from 0 to %(max)s"),
    ({"cap_weeks": "0", "cap_period_months": "12"}, "cap_weeks",
     "Maximum must be a whole number of weeks from 1 to %(max)s"),
    ({"cap_weeks": "53", "cap_period_months": "12"}, "cap_weeks",
     "Maximum must be a whole number of weeks from 1 to %(max)s"),
    ({"cap_weeks": "24", "cap_period_months": "0"}, "cap_period_months",
     "Period must be a whole number of months from 1 to %(max)s"),
    ({"cap_weeks": "24"}, "cap_period_months",
     "Enter the number of months the maximum applies to"),
    ({"cap_period_months": "12"}, "cap_weeks",
     "Enter the maximum number of weeks, or leave the period empty"),
    ({"cap_weeks": "10", "cap_period_months": "2"}, "cap_weeks",
     N_plural(
         "The maximum cannot be longer than the period of %(months)s month",
         "The maximum cannot be longer than the period of %(months)s months", "months")),
    ({"allowed": "", "waiting_months": "6"}, "waiting_months",
     "Leave this empty when the work is not allowed"),
    ({"applies_to": "high_chance"}, "applies_to",
     "Only rules for all asylum seekers are supported"),
    ({"source": "  "}, "source", "Enter the source: a law, a court ruling or a web page"),
    ({"source": "x" * 501}, "source", too_long(0, 0)[0]),
    ({"note": "x" * 2001}, "note", too_long(0, 0)[0]),
    ({"id": "Paid rule 2027!"}, "id",
     "Use only small letters, digits, dots, hyphens and underscores"),
])
def test_validation_rejects_bad_input(changes, field, msgid):
    clean, errors = validate_rule(new_rule(**changes))
    assert errors[field][0] == msgid
    assert list(errors) == [field]
    assert field not in clean


def test_validation_reports_every_bad_field_at_once():
    _, errors = validate_rule({})
    assert set(errors) == {"kind", "effective_from", "status", "source"}


def test_validation_messages_carry_their_parameters():
    _, errors = validate_rule(new_rule(cap_weeks="10", cap_period_months="2"))
    assert errors["cap_weeks"][1] == {"months": 2}
    _, errors = validate_rule(new_rule(waiting_months="99"))
    assert errors["waiting_months"][1] == {"max": 60}


# -- the short lines at the top of a page ------------------------------------------------


def test_the_summary_says_in_two_lines_what_an_asylum_seeker_may_do(rules):
    advice = work_advice("asylum_seeker", date(2025, 10, 1), None, date(2025, 10, 2), rules)
    assert advice.summary == (work_rules.VOLUNTEER_NOW,
                              (work_rules.PAID_FROM, {"date": date(2026, 4, 1)}))
    later = work_advice("asylum_seeker", date(2025, 10, 1), None, date(2026, 4, 1), rules)
    assert later.summary == (work_rules.VOLUNTEER_NOW, work_rules.PAID_NOW)


def test_a_status_holder_may_do_both(rules):
    advice = work_advice("status_holder", None, date(2024, 5, 1), date(2025, 10, 2), rules)
    assert advice.summary == (work_rules.VOLUNTEER_NOW, work_rules.PAID_NOW)


def test_without_the_application_date_the_summary_leaves_paid_work_to_the_notes(rules):
    advice = work_advice("asylum_seeker", None, None, date(2025, 10, 2), rules)
    assert advice.summary == (work_rules.VOLUNTEER_NOW,)
    assert len(advice.notes) >= 2  # why, and what to fill in
    assert work_advice(None, None, None, date(2025, 10, 2), rules).summary == ()
