"""Pages cost what they show, not what the person has: sizes and queries, kept by CI.

A profile with 3,000 volunteer-hour entries (a busy volunteer's year or two) made
pages of 5 MB and a review of 8 MB, 70 to 100 times slower than the demo's. Timing
is the bench's job (bench/big_profile.py); what is deterministic is checked here:
every page of that profile stays under 100 kB of HTML, and runs no more queries
than the same page of a profile with a handful of entries.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from pwa.profile import SECTION_PAGE
from sync import accounts, protocol
from sync.write import Actor, new_id
from tests.conftest import csrf_token
from tests.today import TODAY

PAGES = ["/", "/basics", "/skills/", "/volunteering/", "/plan/", "/volunteering/new"]
BIG = 3000


def hours_ops(person: str, count: int) -> list[dict]:
    first = TODAY - timedelta(days=count)
    return [{"op_id": new_id(), "person_id": person, "record_type": "volunteer",
             "record_id": new_id(), "action": "put", "base_revision": 0,
             "fields": {"date": (first + timedelta(days=n)).isoformat(),
                        "organisation": "Voedselbank", "activity": f"Sorting food {n}",
                        "hours": 2}} for n in range(count)]


@pytest.fixture(scope="module")
def people(make_database):
    from pwa import create_app
    from sync.store import Store

    db = make_database()
    app = create_app({"TESTING": True, "DATABASE": db, "SECRET_KEY": "k"})
    store = Store(db)
    store.add_location("here", "AZC Ter Apel", "azc")
    ids = {}
    for name, count in (("small", 5), ("big", BIG)):
        ids[name] = accounts.create_user(store, role="refugee", username=name,
                                         display_name=name.title(), secret="482913",
                                         location_id="here", locale="en")
        ops = hours_ops(ids[name], count)
        for n in range(0, len(ops), 200):
            protocol.push(store, Actor(ids[name], "refugee"), ops[n:n + 200])
    ids["coach"] = accounts.create_user(store, role="coach", username="coach",
                                        display_name="Coach", secret="coach passphrase",
                                        location_ids=["here"])
    store.close()
    clients = {}
    for name, secret in (("small", "482913"), ("big", "482913"),
                         ("coach", "coach passphrase")):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        response = client.post("/sign-in", data={"username": name, "secret": secret,
                                                 "csrf_token": csrf_token(client)})
        assert response.status_code == 303
        clients[name] = client
    return app, ids, clients


def queries_of(app, client, path):
    """(status, bytes of HTML, SQL statements run) of one page."""
    from pwa import db

    # The test client runs the app in this thread, on this thread's connection (made by
    # the warm-up request before).
    store = db._connections.store
    with store.traced() as statements:
        response = client.get(path)
    return response.status_code, len(response.get_data()), len(statements)


@pytest.mark.parametrize("page", PAGES + ["review"])
def test_a_page_of_a_big_profile_is_small_and_runs_as_many_queries(people, page):
    app, ids, clients = people
    figures = {}
    for name in ("small", "big"):
        viewer = clients["coach"] if page == "review" else clients[name]
        path = f"/people/{ids[name]}/review" if page == "review" else f"/people/{ids[name]}{page}"
        viewer.get(path)  # the thread's connection is made and warm
        figures[name] = queries_of(app, viewer, path)
    (small_status, _, small_queries), (big_status, big_bytes, big_queries) = (
        figures["small"], figures["big"])
    assert small_status == big_status == 200
    assert big_bytes < 100_000, big_bytes
    assert big_queries <= small_queries + 2, (small_queries, big_queries)


def test_the_hours_page_shows_a_page_of_entries_and_exact_totals(people):
    app, ids, clients = people
    html = clients["big"].get(f"/people/{ids['big']}/volunteering/").get_data(as_text=True)
    assert html.count('<li class="entry" id="entry-') == SECTION_PAGE
    assert f"1 to {SECTION_PAGE} of {BIG}" in html
    assert f"In all: {BIG * 2:,} hours" in html
    assert re.search(r'rel="next" href="[^"]*page=2"', html)
