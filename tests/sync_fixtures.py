"""Small helpers for tests of the Flask-free core on real SQLite files.

Not fixtures: plain functions, so hypothesis tests can use them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sync import accounts
from sync.store import Store
from sync.write import Actor, Operation, Outcome, apply, new_id, singleton_id

# Every write test runs on this day, so "not in the future" never depends on the clock.
TODAY = date(2026, 3, 15)


@dataclass(frozen=True)
class People:
    """Two places, two refugees and staff of every role."""

    amina: Actor  # refugee at loc-a
    bilal: Actor  # refugee at loc-b
    volunteer: Actor  # volunteer at loc-a
    coach: Actor  # coach at loc-a
    volunteer_b: Actor  # volunteer at loc-b
    coach_b: Actor  # coach at loc-b
    admin: Actor


def add_people(store: Store) -> People:
    """Create the places and accounts of ``People`` (no secrets: no slow hashing)."""
    store.add_location("loc-a", "AZC A", "azc")
    store.add_location("loc-b", "Gemeente B", "municipality")

    def refugee(username: str, name: str, location: str) -> Actor:
        user_id = accounts.create_user(store, role="refugee", username=username,
                                       display_name=name, location_id=location)
        return Actor(user_id, "refugee")

    def staff(role: str, username: str, locations: list[str]) -> Actor:
        user_id = accounts.create_user(store, role=role, username=username,
                                       display_name=username.title(), location_ids=locations)
        return Actor(user_id, role, frozenset(locations))

    admin_id = accounts.create_user(store, role="admin", username="admin",
                                    display_name="Admin")
    return People(
        amina=refugee("amina", "Amina", "loc-a"),
        bilal=refugee("bilal", "Bilal", "loc-b"),
        volunteer=staff("volunteer", "vera", ["loc-a"]),
        coach=staff("coach", "coen", ["loc-a"]),
        volunteer_b=staff("volunteer", "vince", ["loc-b"]),
        coach_b=staff("coach", "carla", ["loc-b"]),
        admin=Actor(admin_id, "admin"),
    )


def hours(day: str = "2026-03-01", organisation: str = "Voedselbank",
          activity: str = "Sorting food", amount: float | str = 2) -> dict:
    """Valid volunteer fields."""
    return {"date": day, "organisation": organisation, "activity": activity, "hours": amount}


def basics(location_id: str = "loc-a", name: str = "Amina") -> dict:
    """Valid basics fields."""
    return {"display_name": name, "preferred_language": "nl", "location_id": location_id,
            "residence": "asylum_seeker", "procedure_start": "2025-09-01"}


def put(store: Store, actor: Actor, person: Actor | str, record_type: str, fields: dict,
        *, record_id: str | None = None, base: int = 0, op_id: str | None = None) -> Outcome:
    """Apply a put operation on ``TODAY``."""
    person_id = person if isinstance(person, str) else person.id
    if record_id is None:
        record_id = singleton_id(person_id, record_type) if record_type == "basics" else new_id()
    return apply(store, actor, Operation(
        op_id=op_id or new_id(), person_id=person_id, record_type=record_type,
        record_id=record_id, action="put", base_revision=base, fields=fields), today=TODAY)


def delete(store: Store, actor: Actor, person: Actor | str, record_type: str, record_id: str,
           base: int, *, op_id: str | None = None) -> Outcome:
    """Apply a delete operation on ``TODAY``."""
    person_id = person if isinstance(person, str) else person.id
    return apply(store, actor, Operation(
        op_id=op_id or new_id(), person_id=person_id, record_type=record_type,
        record_id=record_id, action="delete", base_revision=base), today=TODAY)


def count(store: Store, table: str) -> int:
    """Rows in a table."""
    return store.count(table)
