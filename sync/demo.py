"""Demo data: two places, three staff accounts and three filled-in refugee profiles.

Profiles are entered through the write path as the volunteer would enter
them, so their history says who wrote what; the coach then verifies hours
and leaves a comment. Dates are relative to today, so the work rules give
each person different advice whenever the demo is loaded.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sync import accounts, clock, places
from sync.records import INTERFACE_LOCALES
from sync.store import Store
from sync.write import Actor, Operation, apply, new_id, singleton_id

STAFF = [
    {"username": "admin", "role": "admin", "name": "Anne de Vries",
     "secret": "demo-admin-2026"},
    {"username": "coach", "role": "coach", "name": "Mirjam Bakker",
     "secret": "demo-coach-2026"},
    {"username": "vrijwilliger", "role": "volunteer", "name": "Joost Visser",
     "secret": "demo-vrijwilliger-2026"},
]
REFUGEES = [
    {"username": "tesfay", "role": "refugee", "name": "Tesfay Gebremichael",
     "secret": "739184"},
    {"username": "rania", "role": "refugee", "name": "Rania Al-Khatib", "secret": "528163"},
    {"username": "farid", "role": "refugee", "name": "Farid Ahmadi", "secret": "961427"},
]


def demo_accounts() -> list[dict]:
    """The demo accounts with their secrets, as printed by ``talentkaart demo``."""
    return [dict(a) for a in STAFF + REFUGEES]


def _months_ago(today: date, months: int) -> date:
    month = today.month - months
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(today.day, 28))


class _Writer:
    """Puts records for one person through ``apply`` as one actor."""

    def __init__(self, store: Store, actor: Actor, person_id: str, today: date):
        self.store, self.actor, self.person_id, self.today = store, actor, person_id, today

    def put(self, record_type: str, fields: dict[str, Any], record_id: str | None = None,
            base: int = 0, actor: Actor | None = None) -> str:
        record_id = record_id or new_id()
        apply(self.store, actor or self.actor,
              Operation(op_id=new_id(), person_id=self.person_id, record_type=record_type,
                        record_id=record_id, action="put", base_revision=base,
                        fields=fields), today=self.today)
        return record_id

    def basics(self, **fields: Any) -> None:
        self.put("basics", fields, singleton_id(self.person_id, "basics"))

    def days_ago(self, days: int) -> str:
        return (self.today - timedelta(days=days)).isoformat()


def _language(lang: str) -> str:
    """An interface language the app has, else English."""
    return lang if lang in INTERFACE_LOCALES else "en"


def load_demo(store: Store, today: date | None = None) -> list[dict]:
    """Fill ``store`` with demo data once; return the demo accounts and their secrets.

    Loading twice changes nothing: when the user ``coach`` exists, the data is
    taken to be there already.
    """
    if store.user_by_username("coach") is not None:
        return demo_accounts()
    today = today or clock.today()
    azc = places.add_place(store, "AZC Ter Apel", "azc")
    utrecht = places.add_place(store, "Gemeente Utrecht", "municipality")
    ids: dict[str, str] = {}
    for account in STAFF:
        ids[account["username"]] = accounts.create_user(
            store, role=account["role"], username=account["username"],
            display_name=account["name"], secret=account["secret"],
            location_ids=[azc, utrecht] if account["role"] != "admin" else [], locale="nl")
    homes = {"tesfay": azc, "rania": utrecht, "farid": azc}
    for account in REFUGEES:
        ids[account["username"]] = accounts.create_user(
            store, role="refugee", username=account["username"], display_name=account["name"],
            secret=account["secret"], location_id=homes[account["username"]],
            created_by=ids["vrijwilliger"], locale="en")
    volunteer = Actor(ids["vrijwilliger"], "volunteer", frozenset({azc, utrecht}))
    coach = Actor(ids["coach"], "coach", frozenset({azc, utrecht}))

    _tesfay(_Writer(store, volunteer, ids["tesfay"], today), coach, azc)
    _rania(_Writer(store, volunteer, ids["rania"], today), coach, utrecht)
    _farid(_Writer(store, volunteer, ids["farid"], today), azc)
    return demo_accounts()


def _tesfay(w: _Writer, coach: Actor, azc: str) -> None:
    """An Eritrean welder in the asylum procedure, long enough to work for pay."""
    w.basics(display_name="Tesfay Gebremichael", preferred_language=_language("ti"),
             location_id=azc, residence="asylum_seeker",
             procedure_start=_months_ago(w.today, 8).isoformat(),
             my_goal="ኣብ ሆላንድ ከም በየዳ ክሰርሕ እደሊ። I want to work as a welder in the Netherlands.")
    w.put("ambition", {"occupation": "7212.1", "work_form": "employment", "hours_per_week": 38,
                       "regions": ["groningen", "drenthe"],
                       "note": "Welding in a metal workshop or shipyard."})
    w.put("skill", {"code": "skill.trades.welding", "level": "4", "learned": "work",
                    "note": "MIG and arc welding of gates, window frames and truck parts."})
    w.put("skill", {"code": "skill.trades.metalwork", "level": "3", "learned": "work"})
    w.put("skill", {"code": "skill.trades.drawings", "level": "2", "learned": "work"})
    w.put("skill", {"code": "skill.soft.teamwork", "level": "3", "learned": "life"})
    w.put("language", {"language": "ti", "mother_tongue": True, "understanding": "C2",
                       "speaking": "C2", "reading": "C2", "writing": "C1"})
    w.put("language", {"language": "ar", "understanding": "B1", "speaking": "B1",
                       "reading": "A2", "writing": "A2"})
    w.put("language", {"language": "nl", "understanding": "A1", "speaking": "A1",
                       "reading": "A1", "writing": "0", "learning": True,
                       "course": "Taalcafé COA Ter Apel"})
    w.put("education", {"level": "vocational", "field": "Metalwork and welding",
                        "country": "ER", "start_year": 2010, "end_year": 2012,
                        "diploma": "lost", "evaluation": "not_requested"})
    w.put("work", {"job_title": "Welder", "occupation": "7212.1",
                   "employer": "Own workshop in Asmara", "country": "ER", "start": "2013-03",
                   "end": "2022-06",
                   "description": "Made and repaired gates, window frames and truck trailers."})
    w.put("work", {"job_title": "Welder's helper", "employer": "Metal workshop", "country": "SD",
                   "start": "2022-09", "end": "2023-11"})
    hours = w.put("volunteer", {"date": w.days_ago(9), "organisation": "Fietsenwerkplaats Ter Apel",
                                "activity": "Repairing bicycles for residents", "hours": 3})
    w.put("volunteer", {"date": w.days_ago(2), "organisation": "Fietsenwerkplaats Ter Apel",
                        "activity": "Repairing bicycles for residents", "hours": 2.5})
    w.put("volunteer", {"status": "verified"}, record_id=hours, base=1, actor=coach)
    goal = w.put("goal", {"title": "Welding certificate (VCA and a Dutch welding test)",
                          "status": "in_progress",
                          "due": (w.today + timedelta(days=180)).isoformat()})
    w.put("step", {"goal_id": goal, "text": "Ask the municipality about a VCA course",
                   "status": "done"})
    w.put("step", {"goal_id": goal, "text": "Practice welding terms in Dutch", "status": "doing"})
    w.put("comment", {"record_id": hours,
                      "body": "Goed bezig! De werkplaats heeft deze uren bevestigd."}, actor=coach)


def _rania(w: _Writer, coach: Actor, utrecht: str) -> None:
    """A Syrian nurse with a residence permit, living in Utrecht."""
    w.basics(display_name="Rania Al-Khatib", preferred_language=_language("ar"),
             location_id=utrecht, residence="status_holder",
             procedure_start=_months_ago(w.today, 26).isoformat(),
             permit_date=_months_ago(w.today, 14).isoformat(),
             my_goal="أريد أن أعمل ممرضة في مستشفى في هولندا.")
    w.put("ambition", {"occupation": "2221.1", "work_form": "employment", "hours_per_week": 32,
                       "regions": ["utrecht"]})
    w.put("ambition", {"occupation": "5321.1", "work_form": "study",
                       "note": "Start as a nursing assistant while my diploma is evaluated."})
    w.put("skill", {"code": "skill.care.sick_people", "level": "4", "learned": "work"})
    w.put("skill", {"code": "skill.care.medicine", "level": "4", "learned": "education"})
    w.put("skill", {"code": "skill.care.vital_signs", "level": "4", "learned": "work"})
    w.put("skill", {"code": "skill.care.first_aid", "level": "4", "learned": "education"})
    w.put("skill", {"free_text": "Wound care for burns", "level": "3", "learned": "work"})
    w.put("language", {"language": "ar", "mother_tongue": True, "understanding": "C2",
                       "speaking": "C2", "reading": "C2", "writing": "C2"})
    w.put("language", {"language": "en", "understanding": "B2", "speaking": "B1",
                       "reading": "B2", "writing": "B1"})
    w.put("language", {"language": "nl", "understanding": "B1", "speaking": "A2",
                       "reading": "B1", "writing": "A2", "learning": True,
                       "course": "Inburgering B1, ROC Midden Nederland"})
    w.put("education", {"level": "bachelor", "field": "Nursing", "country": "SY",
                        "start_year": 2008, "end_year": 2012, "diploma": "yes",
                        "evaluation": "requested"})
    w.put("work", {"job_title": "Nurse, surgical ward", "occupation": "2221.1",
                   "employer": "Al-Mouwasat Hospital, Damascus", "country": "SY",
                   "start": "2012-09", "end": "2019-12",
                   "description": "Care before and after operations, medication rounds, "
                                  "training new nurses."})
    hours = w.put("volunteer", {"date": w.days_ago(12), "organisation": "Het Vriendenhuis",
                                "activity": "Coffee and company for elderly residents",
                                "hours": 4})
    w.put("volunteer", {"date": w.days_ago(5), "organisation": "Het Vriendenhuis",
                        "activity": "Coffee and company for elderly residents", "hours": 4})
    w.put("volunteer", {"status": "verified"}, record_id=hours, base=1, actor=coach)
    goal = w.put("goal", {"title": "BIG registration as a nurse", "status": "in_progress"})
    w.put("step", {"goal_id": goal, "text": "Send diploma to IDW for evaluation",
                   "status": "done"})
    w.put("step", {"goal_id": goal, "text": "Reach Dutch level B2", "status": "doing"})


def _farid(w: _Writer, azc: str) -> None:
    """An Afghan tailor, recently arrived: paid work is not allowed yet."""
    w.basics(display_name="Farid Ahmadi", preferred_language=_language("fa"),
             location_id=azc, residence="asylum_seeker",
             procedure_start=_months_ago(w.today, 3).isoformat())
    w.put("ambition", {"occupation": "7531.1", "work_form": "own_business",
                       "note": "Later my own tailor shop for alterations."})
    w.put("skill", {"code": "skill.trades.sewing", "level": "4", "learned": "work"})
    w.put("skill", {"code": "skill.business.own_business", "level": "3", "learned": "work"})
    w.put("skill", {"code": "skill.sales.help_customers", "level": "3", "learned": "work"})
    w.put("language", {"language": "fa", "mother_tongue": True, "understanding": "C2",
                       "speaking": "C2", "reading": "B2", "writing": "B1",
                       "course": ""})
    w.put("language", {"language": "ps", "understanding": "B2", "speaking": "B1",
                       "reading": "A2", "writing": "A1"})
    w.put("education", {"level": "secondary_lower", "field": "General", "country": "AF",
                        "diploma": "no"})
    w.put("work", {"job_title": "Tailor", "occupation": "7531.1",
                   "employer": "Own shop in Herat", "country": "AF", "start": "2009-05",
                   "end": "2023-08", "description": "خیاطی لباس مردانه و زنانه؛ Made and altered "
                                                     "clothes, managed two employees."})
    w.put("volunteer", {"date": w.days_ago(4), "organisation": "Kledingbank COA",
                        "activity": "Repairing donated clothes", "hours": 2})
    w.put("goal", {"title": "Learn Dutch to A2", "status": "planned"})
