"""Which work an asylum seeker may do, from dated rule versions.

The law keeps changing (the 24-week cap went in 2008 and out in 2023; the EU
Migration Pact changes it again), so the rules are data, not code: each
version says from which date it applies, and an admin adds a new version when
the law changes. Only ``active`` versions count; a ``draft`` is shown to admins
but never applied until one of them activates it.

Rule versions are plain dicts, as stored, with ``effective_from`` as an ISO
date string. Messages are ``(msgid, params)`` pairs for the web layer to
translate; dates in params stay ``date`` objects so they are formatted per
locale.
"""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from sync.messages import N_, N_plural, too_long

Message = tuple[str, dict[str, Any]]

KINDS = ("paid", "volunteer")
STATUSES = ("active", "draft")
RESIDENCES = ("asylum_seeker", "status_holder")

MAX_WAITING_MONTHS = 60
MAX_CAP_WEEKS = 52
MAX_CAP_PERIOD_MONTHS = 24
MAX_SOURCE_LENGTH = 500
MAX_NOTE_LENGTH = 2000
# Rule dates outside this range are typing errors, not law.
FIRST_RULE_DATE = date(1990, 1, 1)
LAST_RULE_DATE = date(2100, 12, 31)

_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WHOLE_NUMBER = re.compile(r"\d+")
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"", "0", "false", "no", "n", "off"}


@dataclass(frozen=True)
class WorkAdvice:
    """What a person may do now, why, and the rule versions it rests on."""

    residence: str | None
    volunteer_allowed: bool
    paid_allowed_now: bool
    paid_from: date | None
    requires_twv: bool
    cap_weeks: int | None
    cap_period_months: int | None
    basis: tuple[dict, ...]
    notes: tuple[Message, ...]
    # The same in a few short lines ("You may do volunteer work."), for the top of a
    # page; ``notes`` and the rules' sources say why. Empty when too little is known.
    summary: tuple[Message, ...] = ()


def load_seed_rules() -> list[dict]:
    """The rule versions shipped with the code (``sync/data/work_rules.json``)."""
    text = resources.files("sync").joinpath("data/work_rules.json").read_text("utf-8")
    return json.loads(text)


# -- validation ---------------------------------------------------------------


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # 2026-02-30 and the like
        return None


def _parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value is None:
        return False  # an unticked checkbox is simply absent from a form
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _parse_count(value: Any, low: int, high: int) -> tuple[int | None, bool]:
    """``(number or None when empty, ok)`` for a whole number from low to high."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, bool):  # bool is an int in Python, but never a count
        return None, False
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None, False
    return (number, True) if low <= number <= high else (None, False)


def validate_rule(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Message]]:
    """Check a new rule version from an admin form or JSON.

    Returns ``(clean, errors)``: ``clean`` holds the typed values that passed
    (``effective_from`` as an ISO string, ready to store), ``errors`` maps a
    field name to a ``(msgid, params)`` message. Save only when ``errors`` is
    empty. A missing id is made from the kind and the date.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, Message] = {}

    kind = str(data.get("kind") or "").strip()
    if kind in KINDS:
        clean["kind"] = kind
    else:
        errors["kind"] = (N_("Choose paid or volunteer work"), {})

    effective = _parse_date(data.get("effective_from"))
    if effective is None:
        errors["effective_from"] = (N_("Enter a date like %(example)s"),
                                    {"example": "2026-03-31"})
    elif not FIRST_RULE_DATE <= effective <= LAST_RULE_DATE:
        errors["effective_from"] = (N_("Enter a date from %(first)s to %(last)s"),
                                    {"first": FIRST_RULE_DATE, "last": LAST_RULE_DATE})
    else:
        clean["effective_from"] = effective.isoformat()

    rule_id = str(data.get("id") or "").strip()
    if not rule_id and "kind" in clean and "effective_from" in clean:
        rule_id = f"{clean['kind']}-{clean['effective_from']}"
    if rule_id and _ID.fullmatch(rule_id):
        clean["id"] = rule_id
    elif rule_id:
        errors["id"] = (N_("Use only small letters, digits, dots, hyphens and underscores"),
                        {})

    status = str(data.get("status") or "").strip()
    if status in STATUSES:
        clean["status"] = status
    else:
        errors["status"] = (N_("Choose active or draft"), {})

    for field in ("allowed", "requires_twv"):
        flag = _parse_bool(data.get(field))
        if flag is None:
            errors[field] = (N_("Choose yes or no"), {})
        else:
            clean[field] = flag

    counts = [
        ("waiting_months", MAX_WAITING_MONTHS, 0,
         N_("Waiting period must be a whole number of months from 0 to %(max)s")),
        ("cap_weeks", MAX_CAP_WEEKS, 1,
         N_("Maximum must be a whole number of weeks from 1 to %(max)s")),
        ("cap_period_months", MAX_CAP_PERIOD_MONTHS, 1,
         N_("Period must be a whole number of months from 1 to %(max)s")),
    ]
    for field, high, low, message in counts:
        number, ok = _parse_count(data.get(field), low, high)
        if ok:
            clean[field] = number
        else:
            errors[field] = (message, {"max": high})

    weeks, months = clean.get("cap_weeks"), clean.get("cap_period_months")
    if "cap_weeks" in clean and "cap_period_months" in clean:
        if weeks is not None and months is None:
            errors["cap_period_months"] = (
                N_("Enter the number of months the maximum applies to"), {})
        elif weeks is None and months is not None:
            errors["cap_weeks"] = (
                N_("Enter the maximum number of weeks, or leave the period empty"), {})
        elif weeks is not None and months is not None and weeks * 7 > months * 31:
            errors["cap_weeks"] = (
                N_plural("The maximum cannot be longer than the period of %(months)s month",
                         "The maximum cannot be longer than the period of %(months)s months",
                         "months"), {"months": months})

    # Waiting periods and caps of a forbidden kind of work would be shown to
    # nobody and only confuse the next admin.
    if clean.get("allowed") is False:
        for field in ("waiting_months", "cap_weeks", "cap_period_months"):
            if clean.get(field) is not None:
                errors[field] = (N_("Leave this empty when the work is not allowed"), {})

    # The advice cannot tell groups of applicants apart yet, so a rule for a
    # subgroup would wrongly be applied to everyone.
    applies_to = str(data.get("applies_to") or "all").strip()
    if applies_to == "all":
        clean["applies_to"] = applies_to
    else:
        errors["applies_to"] = (N_("Only rules for all asylum seekers are supported"), {})

    source = str(data.get("source") or "").strip()
    if not source:
        errors["source"] = (N_("Enter the source: a law, a court ruling or a web page"), {})
    elif len(source) > MAX_SOURCE_LENGTH:
        errors["source"] = too_long(MAX_SOURCE_LENGTH, len(source))
    else:
        clean["source"] = source

    note = str(data.get("note") or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        errors["note"] = too_long(MAX_NOTE_LENGTH, len(note))
    else:
        clean["note"] = note

    # A value that failed a check across fields is as unusable as a bad one.
    return {k: v for k, v in clean.items() if k not in errors}, errors


# -- which rule applies -------------------------------------------------------


def _effective(rule: dict) -> date:
    value = rule["effective_from"]
    return value if isinstance(value, date) else date.fromisoformat(value)


def rule_in_force(rules: list[dict], kind: str, on_date: date) -> dict | None:
    """The active rule of ``kind`` with the latest ``effective_from`` on or before ``on_date``.

    Drafts and retired versions never count. Of two active versions with the
    same date, the later one in ``rules`` wins.
    """
    in_force = None
    for rule in rules:
        if (rule.get("kind") == kind and rule.get("status") == "active"
                and _effective(rule) <= on_date
                and (in_force is None or _effective(rule) >= _effective(in_force))):
            in_force = rule
    return in_force


def paid_rule_on(rules: list[dict], on_date: date) -> dict | None:
    """The paid-work rule in force on ``on_date`` (also for dates in the past)."""
    return rule_in_force(rules, "paid", on_date)


def _next_change(rules: list[dict], kind: str, after: date) -> date | None:
    later = [_effective(r) for r in rules
             if r.get("kind") == kind and r.get("status") == "active" and _effective(r) > after]
    return min(later, default=None)


def add_months(start: date, months: int) -> date:
    """``start`` plus whole calendar months, clamped to the month's end.

    31 August plus 6 months is 28 February (29 in a leap year): the law counts
    calendar months, and a date that does not exist moves back, not forward.
    """
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _as_date(value: date | str | None) -> date | None:
    # Profiles store dates as ISO strings; callers may pass either.
    if value is None or isinstance(value, date):
        return value
    return _parse_date(value)


# -- advice -------------------------------------------------------------------


def work_advice(residence: str | None, procedure_start: date | str | None,
                permit_date: date | str | None, today: date,
                rules: list[dict]) -> WorkAdvice:
    """What work this person may do on ``today``, under the rules in force then.

    ``residence`` is ``asylum_seeker`` or ``status_holder``; anything else
    counts as unknown. ``procedure_start`` is the date of the asylum
    application, ``permit_date`` the date of the residence permit.
    """
    procedure_start = _as_date(procedure_start)
    permit_date = _as_date(permit_date)

    if residence == "status_holder":
        return WorkAdvice(
            residence=residence, volunteer_allowed=True, paid_allowed_now=True,
            paid_from=permit_date, requires_twv=False, cap_weeks=None,
            cap_period_months=None, basis=(),
            notes=((N_("You have a residence permit. You may do any paid work, an internship "
                       "or volunteer work. You do not need a work permit."), {}),),
            summary=(VOLUNTEER_NOW, PAID_NOW))
    if residence != "asylum_seeker":
        return WorkAdvice(
            residence=None, volunteer_allowed=False, paid_allowed_now=False, paid_from=None,
            requires_twv=False, cap_weeks=None, cap_period_months=None, basis=(),
            notes=((N_("Fill in whether you are in the asylum procedure or have a residence "
                       "permit. Then we can show which work you may do."), {}),))

    notes: list[Message] = []
    basis: list[dict] = []

    volunteer_rule = rule_in_force(rules, "volunteer", today)
    volunteer_allowed, volunteer_from = False, None
    if volunteer_rule is None:
        notes.append((N_("There is no rule about volunteer work here yet. Ask your coach."),
                      {}))
    else:
        basis.append(volunteer_rule)
        volunteer_allowed, volunteer_from = _allowed_from(volunteer_rule, procedure_start,
                                                          today)
        if volunteer_allowed:
            notes.append((N_("You may do volunteer work. The organisation needs a volunteer "
                             "statement from UWV."), {}))
        elif not volunteer_rule["allowed"]:
            notes.append((N_("Asylum seekers may not do volunteer work at the moment."), {}))
        elif volunteer_from is not None:
            notes.append((N_("You may do volunteer work from %(date)s. The organisation needs "
                             "a volunteer statement from UWV."), {"date": volunteer_from}))
        else:
            notes.append((N_("Fill in the date of your asylum application. Then we can show "
                             "from when you may do volunteer work."), {}))

    paid_rule = rule_in_force(rules, "paid", today)
    paid_allowed_now, paid_from = False, None
    requires_twv, cap_weeks, cap_period_months = False, None, None
    if paid_rule is None:
        notes.append((N_("There is no rule about paid work here yet. Ask your coach."), {}))
    else:
        basis.append(paid_rule)
        if not paid_rule["allowed"]:
            notes.append((N_("Asylum seekers may not do paid work at the moment."), {}))
        else:
            requires_twv = bool(paid_rule.get("requires_twv"))
            cap_weeks = paid_rule.get("cap_weeks")
            cap_period_months = paid_rule.get("cap_period_months")
            paid_allowed_now, paid_from = _allowed_from(paid_rule, procedure_start, today)
            if paid_from is None and not paid_allowed_now:
                notes.append((N_("Fill in the date of your asylum application. Then we can "
                                 "show from when you may do paid work."), {}))
            elif paid_from is None:
                notes.append(_paid_now_note(requires_twv))
            else:
                notes.append(_paid_from_note(requires_twv, paid_from))
            if cap_weeks and cap_period_months:
                # Two sentences, each about one number: gettext has one plural per message.
                notes.append((N_plural("There is a limit: at most %(weeks)s week of paid work.",
                                       "There is a limit: at most %(weeks)s weeks of paid work.",
                                       "weeks"), {"weeks": cap_weeks}))
                notes.append((N_plural("The limit counts in every period of %(months)s month.",
                                       "The limit counts in every period of %(months)s months.",
                                       "months"), {"months": cap_period_months}))

    change = _next_change(rules, "paid", today)
    if change is not None:
        notes.append((N_("The rules for paid work change on %(date)s. This advice may "
                         "change then."), {"date": change}))

    summary = [line for line in (
        _summary_line(volunteer_rule, volunteer_allowed, volunteer_from, VOLUNTEER_NOW,
                      VOLUNTEER_FROM, VOLUNTEER_NEVER),
        _summary_line(paid_rule, paid_allowed_now, paid_from, PAID_NOW, PAID_FROM, PAID_NEVER),
    ) if line is not None]
    return WorkAdvice(
        residence=residence, volunteer_allowed=volunteer_allowed,
        paid_allowed_now=paid_allowed_now, paid_from=paid_from, requires_twv=requires_twv,
        cap_weeks=cap_weeks, cap_period_months=cap_period_months, basis=tuple(basis),
        notes=tuple(notes), summary=tuple(summary))


VOLUNTEER_NOW: Message = (N_("You may do volunteer work."), {})
VOLUNTEER_FROM = N_("You may do volunteer work from %(date)s.")
VOLUNTEER_NEVER: Message = (N_("Asylum seekers may not do volunteer work at the moment."), {})
PAID_NOW: Message = (N_("You may do paid work."), {})
PAID_FROM = N_("You may do paid work from %(date)s.")
PAID_NEVER: Message = (N_("Asylum seekers may not do paid work at the moment."), {})


def _summary_line(rule: dict | None, allowed_now: bool, allowed_from: date | None,
                  now: Message, from_: str, never: Message) -> Message | None:
    """One short line about a kind of work; None when the rule or a date is missing."""
    if rule is None:
        return None
    if not rule["allowed"]:
        return never
    if allowed_now:
        return now
    if allowed_from is not None:
        return (from_, {"date": allowed_from})
    return None


def _allowed_from(rule: dict, procedure_start: date | None,
                  today: date) -> tuple[bool, date | None]:
    """``(allowed on today, first allowed date)`` under an allowing rule.

    Without a waiting period the work is allowed now and the date does not
    matter; with one, the date is needed to say anything.
    """
    if not rule["allowed"]:
        return False, None
    waiting = rule.get("waiting_months") or 0
    if procedure_start is None:
        return waiting == 0, None
    allowed_from = add_months(procedure_start, waiting)
    return allowed_from <= today, allowed_from


def _paid_now_note(requires_twv: bool) -> Message:
    if requires_twv:
        return (N_("You may do paid work. Your employer must ask UWV for a work permit "
                   "(TWV)."), {})
    return (N_("You may do paid work."), {})


def _paid_from_note(requires_twv: bool, paid_from: date) -> Message:
    if requires_twv:
        return (N_("You may do paid work from %(date)s. Your employer must ask UWV for a work "
                   "permit (TWV)."), {"date": paid_from})
    return (N_("You may do paid work from %(date)s."), {"date": paid_from})
