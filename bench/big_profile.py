"""A profile with thousands of entries against the demo profile: time and size per page.

Usage: .venv/bin/python bench/big_profile.py [--entries 3000] [--repeat 30]

Makes a fresh database with the demo data and one more refugee with
``--entries`` volunteer-hour entries (plus a few of everything else), then
renders each page of both profiles, and the coach's review of both, through the
real app (in this process, the Flask test client): the median time of
``--repeat`` renders, interleaved big and demo, and the size of the HTML. The
targets: every page of the big profile within 1.5x of the demo's time and
under 100 kB. Not a test: it prints figures (tests/test_page_budgets.py keeps
the sizes and the number of queries).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pwa import create_app  # noqa: E402
from sync import accounts, protocol  # noqa: E402
from sync.demo import load_demo  # noqa: E402
from sync.store import open_store  # noqa: E402
from sync.write import Actor  # noqa: E402

PAGES = ["/", "/basics", "/ambitions/", "/skills/", "/languages/", "/education/", "/work/",
         "/volunteering/", "/plan/", "/volunteering/new", "/privacy"]


def add_big_profile(store, location_id: str, entries: int) -> str:
    """A refugee at ``location_id`` with ``entries`` hour entries, through the write path."""
    person = accounts.create_user(store, role="refugee", username="veel", display_name="Veel Uren",
                                  secret="482913", location_id=location_id, locale="en")
    actor = Actor(person, "refugee")
    first = date.today() - timedelta(days=entries)  # one a day, none in the future
    ops = [{"op_id": str(uuid.uuid4()), "person_id": person, "record_type": "volunteer",
            "record_id": str(uuid.uuid4()), "action": "put", "base_revision": 0,
            "fields": {"date": (first + timedelta(days=n)).isoformat(),
                       "organisation": "Voedselbank", "activity": f"Sorting food {n}",
                       "hours": 2}} for n in range(entries)]
    for n in range(0, len(ops), 200):
        results = protocol.push(store, actor, ops[n:n + 200])
        assert all(r["status"] == "applied" for r in results), results[:1]
    return person


def signed_in(app, username: str, secret: str):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post("/sign-in", data={"username": username, "secret": secret,
                                             "csrf_token": token})
    assert response.status_code == 303, response.status_code
    return client


def measure(client, path: str) -> tuple[float, int]:
    began = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - began
    assert response.status_code == 200, (path, response.status_code)
    return elapsed, len(response.get_data())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    if not (1 <= args.entries <= 100_000 and 1 <= args.repeat <= 1000):
        parser.error("use 1 to 100000 entries and 1 to 1000 repeats")
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "big.sqlite3"
        store = open_store(database)
        secrets = {a["username"]: a["secret"] for a in load_demo(store)}
        demo = store.user_by_username("tesfay")
        big = add_big_profile(store, demo["location_id"], args.entries)
        store.close()
        app = create_app({"DATABASE": str(database), "SECRET_KEY": "bench"})
        people = {"demo": (demo["id"], signed_in(app, "tesfay", secrets["tesfay"])),
                  "big": (big, signed_in(app, "veel", "482913"))}
        coach = signed_in(app, "coach", secrets["coach"])
        rows = []
        cases = [(p, "person") for p in PAGES] + [("/review", "coach")]
        for page, who in cases:
            figures = {}
            for name in ("demo", "big"):
                figures[name] = {"times": [], "size": 0}
            for _ in range(args.repeat):
                for name, (person, client) in people.items():
                    viewer = coach if who == "coach" else client
                    elapsed, size = measure(viewer, f"/people/{person}{page}")
                    figures[name]["times"].append(elapsed)
                    figures[name]["size"] = size
            demo_ms = statistics.median(figures["demo"]["times"]) * 1000
            big_ms = statistics.median(figures["big"]["times"]) * 1000
            rows.append((page, demo_ms, big_ms, figures["demo"]["size"], figures["big"]["size"]))
        print(f"{args.entries} hour entries against the demo profile, median of {args.repeat}")
        print(f"{'page':22} {'demo ms':>8} {'big ms':>8} {'ratio':>6} {'demo kB':>8} {'big kB':>8}")
        for page, demo_ms, big_ms, demo_size, big_size in rows:
            print(f"{page:22} {demo_ms:8.1f} {big_ms:8.1f} {big_ms / demo_ms:6.2f} "
                  f"{demo_size / 1000:8.1f} {big_size / 1000:8.1f}")


if __name__ == "__main__":
    main()
