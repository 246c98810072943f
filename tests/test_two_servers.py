"""Two app servers on one database, as behind a load balancer: nothing is lost between them.

Two real ``talentkaart serve`` processes share the test's database (a SQLite file
or PostgreSQL). Several phones of each person push new entries at once through
both, a batch here, a batch there, while other clients pull each person's
changes, from either server, after the cursor they got last. A change number
that became visible after a larger one would be stepped over by a cursor for
good: every puller must end with every entry (without PostgreSQL's writer lock,
it fails every run). Sessions live in the database, so a cookie from one server works on the
other, and signing out on one ends it on both.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import uuid

import pytest

from sync import accounts
from sync.store import open_store
from tests.test_sync_crash import SECRET, Server, _cookie, sign_in

PEOPLE = 2
PHONES = 3  # per person: their writes race each other, as a phone's and a coach's do
BATCHES = 20
PER_BATCH = 8
SYNC = {"Content-Type": "application/json", "X-Talentkaart-Sync": "1"}


@pytest.fixture
def servers(database, tmp_path):
    store = open_store(database)
    store.add_location("loc-a", "AZC A", "azc")
    people = [accounts.create_user(store, role="refugee", username=f"person{n}",
                                   display_name=f"Person {n}", secret=SECRET,
                                   location_id="loc-a") for n in range(PEOPLE)]
    store.close()
    both = [Server(database, tmp_path / f"server-{n}.log") for n in range(2)]
    try:
        for server in both:
            server.start()
        yield both, people
    finally:
        for server in both:
            server.kill()


def _push(server, cookie, person_id, record_ids):
    ops = [{"op_id": str(uuid.uuid4()), "device_seq": n, "person_id": person_id,
            "record_type": "goal", "record_id": record_id, "action": "put",
            "base_revision": 0, "fields": {"title": f"Goal {record_id[:8]}"}}
           for n, record_id in enumerate(record_ids, 1)]
    body = json.dumps({"device_id": f"phone-{person_id}", "operations": ops}).encode()
    status, _, answer = server.request("POST", "/sync/push", body, {**SYNC, "Cookie": cookie})
    assert status == 200, answer[:300]
    assert {r["status"] for r in json.loads(answer)["results"]} == {"applied"}


def _pull(server, cookie, person_id, since):
    query = urllib.parse.urlencode({"person": person_id, "since": since})
    status, _, answer = server.request("GET", f"/sync/pull?{query}", None,
                                       {**SYNC, "Cookie": cookie})
    assert status == 200, answer[:300]
    return json.loads(answer)


def test_phones_pulling_from_two_servers_miss_no_change(servers):
    both, people = servers
    cookies = {person: sign_in(both[0], f"person{n}") for n, person in enumerate(people)}
    made = {person: [] for person in people}
    seen = {person: set() for person in people}
    writing = threading.Event()
    writing.set()
    errors: list[BaseException] = []

    def phone(person, n):
        try:
            for batch in range(BATCHES):
                ids = [str(uuid.uuid4()) for _ in range(PER_BATCH)]
                _push(both[(batch + n) % 2], cookies[person], person, ids)
                made[person] += ids
        except BaseException as error:  # reported below
            errors.append(error)

    def puller(person):
        cursor, turn = 0, 0
        try:
            while True:
                last_round = not writing.is_set()
                answer = _pull(both[turn % 2], cookies[person], person, cursor)
                assert answer["cursor"] >= cursor
                cursor, turn = answer["cursor"], turn + 1
                seen[person] |= {r["id"] for r in answer["records"]}
                if last_round:
                    return
        except BaseException as error:
            errors.append(error)

    phones = [threading.Thread(target=phone, args=(p, n)) for p in people for n in range(PHONES)]
    pullers = [threading.Thread(target=puller, args=(p,)) for p in people]
    for thread in phones + pullers:
        thread.start()
    for thread in phones:
        thread.join(timeout=120)
    writing.clear()
    for thread in pullers:
        thread.join(timeout=120)
    assert not errors, errors[0]
    for person in people:
        assert len(made[person]) == PHONES * BATCHES * PER_BATCH
        assert seen[person] == set(made[person]), len(set(made[person]) - seen[person])


def test_a_session_from_one_server_is_ended_on_both_by_signing_out(servers):
    both, people = servers
    cookie = sign_in(both[0], "person0")
    for server in both:
        status, _, _ = server.request("GET", f"/people/{people[0]}/", None, {"Cookie": cookie})
        assert status == 200
    status, headers, html = both[1].request("GET", f"/people/{people[0]}/", None,
                                            {"Cookie": cookie})
    token = html.split(b'name="csrf_token" value="', 1)[1].split(b'"', 1)[0].decode()
    if "Set-Cookie" in headers:  # the form token's secret joined the session cookie
        cookie = _cookie(headers)
    status, _, _ = both[1].request(
        "POST", "/sign-out", urllib.parse.urlencode({"csrf_token": token}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    assert status == 303
    for server in both:
        status, headers, _ = server.request("GET", f"/people/{people[0]}/", None,
                                            {"Cookie": cookie})
        assert status in (302, 303) and "/sign-in" in headers["Location"], status
