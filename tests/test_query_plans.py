"""The hot queries find their rows through an index: none reads a whole table.

With 100,000 profiles a full scan of users, records or history costs seconds
(the caseload and the hours CSV of a location did). Each store method a busy
page or the sync API calls is run against a real database while every
statement is traced, and the database's own plan for each is checked (on both
backends; PostgreSQL with sequential scans made a last resort, as a small test
table would otherwise always be read whole): a full scan of a big table fails
the test. Plans are deterministic, so CI keeps the gain.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sync import accounts, protocol
from sync.store import open_store
from sync.write import Actor, new_id

# Tables that grow with the people served; a scan of anything else is fine.
BIG = {"users", "records", "history", "operations", "conflicts", "sessions", "reviews",
       "signin_failures", "handover_codes", "device_keys", "staff_locations", "tallies",
       "profile_views", "shares", "consents"}


@pytest.fixture
def world(database):
    store = open_store(database)
    for place in ("here", "there"):
        store.add_location(place, place.title(), "azc")
    people = [accounts.create_user(store, role="refugee", username=f"person{n}",
                                   display_name=f"Person {n}", location_id="here")
              for n in range(3)]
    coach = accounts.create_user(store, role="coach", username="coach", display_name="Coach",
                                 secret="coach passphrase", location_ids=["here"])
    person = people[0]
    protocol.push(store, Actor(person, "refugee"), [
        {"op_id": new_id(), "person_id": person, "record_type": "volunteer",
         "record_id": new_id(), "action": "put", "base_revision": 0,
         "fields": {"date": f"2026-01-{day:02d}", "organisation": "Voedselbank",
                    "activity": "Sorting food", "hours": 2}} for day in range(1, 11)])
    # No ANALYZE, as in production: the planner assumes big tables, as they become.
    yield store, person, coach
    store.close()


def plans_of(store, call):
    """(statement, tables it reads whole) of every SELECT ``call`` runs on the store."""
    with store.traced() as statements:
        call()
    plans = [(sql, store.scanned(sql)) for sql in statements
             if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert plans, "the call ran no query"
    return plans


def full_scans(plans):
    return [(sql, table) for sql, tables in plans for table in tables if table in BIG]


HOT = {
    "caseload: how many": lambda s, p, c: s.count_people_at(["here"], ""),
    "caseload: a page": lambda s, p, c: s.people_at(["here"], "", limit=25, offset=0),
    "caseload: marks": lambda s, p, c: (s.reviews_by(c, [p]), s.last_seqs_not_by(c, [p])),
    "sign-in": lambda s, p, c: (s.user_by_username("person0"),
                                s.count_failures("10.0.0.1", "2026-01-01")),
    "session": lambda s, p, c: s.session("0" * 64),
    "a person's entries": lambda s, p, c: s.records(p, "volunteer"),
    "hours on a day": lambda s, p, c: s.volunteer_hours_on(p, "2026-01-05", new_id()),
    "pull after a cursor": lambda s, p, c: s.records_changed_since(p, 5),
    "open conflicts": lambda s, p, c: s.open_conflicts(p),
    "changes since a review": lambda s, p, c: s.changes_since(p, 3),
    "newest change": lambda s, p, c: s.last_seq(p),
    "hours CSV of a place for a month": lambda s, p, c: s.volunteer_hours_at(
        "here", "2026-01-01", "2026-01-31"),
    "a record and its history": lambda s, p, c: (s.record(new_id()), s.history(new_id())),
    "a section's count": lambda s, p, c: s.count_records(p),
    "the log, a page": lambda s, p, c: (s.views_of(p, limit=10), s.views_mark(p)),
    "who works at the place": lambda s, p, c: s.staff_at("here"),
    "an export's history": lambda s, p, c: s.history_of_person(p, after=3),
    "a person's shares": lambda s, p, c: (s.shares_of(p), s.shares_mark(p), s.share(new_id()),
                                          s.consents_of(p)),
}


@pytest.mark.parametrize("name", sorted(HOT))
def test_a_hot_query_reads_no_whole_table(world, name):
    store, person, coach = world
    plans = plans_of(store, lambda: HOT[name](store, person, coach))
    assert full_scans(plans) == []


def test_the_check_itself_sees_a_full_scan(world):
    """A test must be able to fail: a query on an unindexed column is caught."""
    store, person, _ = world
    plans = plans_of(store, lambda: store.query(
        "SELECT * FROM users WHERE display_name = ?", ["Person 1"]))
    assert full_scans(plans)


def test_sessions_are_found_by_their_hash(world):
    store, person, _ = world
    user = store.user(person)
    token = accounts.start_session(store, user, shared=False, now=datetime.now(UTC))
    plans = plans_of(store, lambda: accounts.session_user(store, token, 30))
    assert full_scans(plans) == []
