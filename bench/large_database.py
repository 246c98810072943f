"""A region's database (100,000 profiles, 5,000,000 hour entries) against a small one.

Usage: .venv/bin/python bench/large_database.py [--profiles 100000] [--entries 50]
       [--places 200] [--database PATH] [--repeat 20]

Generates the big database once (PATH, kept for later runs; several GB and some
minutes: straight SQL inserts of what the write path would have written: accounts,
basics, hour entries, their history and sums), then times, through the real app,
the requests whose cost must not grow with the database: a coach's caseload, the
review of one person, a pull of the last 100 changes, the hours CSV of a place for a
month, and signing in. Each is timed on the big database and on a small one of the
same shape (two places with as many people each, as many entries each: the same
pages, only fewer places), interleaved, median of --repeat; the target is within
1.5x of the small one.
Not a test: it prints figures (tests/test_query_plans.py keeps the query plans).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
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
from sync import accounts, hours  # noqa: E402
from sync.store import open_store, utc_now  # noqa: E402
from sync.write import singleton_id  # noqa: E402

SECRET = "482913"
COACH_SECRET = "coach passphrase"


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def generate(path: Path, profiles: int, entries: int, places: int) -> None:
    """Fill ``path`` with ``profiles`` refugees at ``places`` places, ``entries`` each."""
    store = open_store(path)
    conn = store.db.conn
    secret_hash = accounts.hash_secret(SECRET)
    today = date.today()
    now = utc_now()
    for n in range(places):
        store.add_location(f"place-{n}", f"AZC {n:03d}", "azc")
    accounts.create_user(store, role="coach", username="coach", display_name="Coach",
                         secret=COACH_SECRET, location_ids=["place-0"])
    began = time.monotonic()
    batch = 2000
    for start in range(0, profiles, batch):
        users, records, history, tallies = [], [], [], {}
        for n in range(start, min(start + batch, profiles)):
            person = str(uuid.UUID(int=n + 1, version=4))
            users.append((person, f"person{n:06d}", "refugee", f"Person {n:06d}",
                          f"place-{n % places}", secret_hash, "en", now))
            basics = {"residence": "asylum_seeker", "procedure_start": "2025-01-01",
                      "permit_date": None, "my_goal": None}
            rows = [(singleton_id(person, "basics"), "basics", basics)]
            for k in range(entries):
                data = {"date": (today - timedelta(days=k * 3 + n % 3)).isoformat(),
                        "organisation": "Voedselbank", "activity": "Sorting food",
                        "hours": 2.0, "status": "self_reported", "status_reason": None,
                        "status_by": None}
                rows.append((str(uuid.uuid4()), "volunteer", data))
                for period, amount, verified in hours.tally(data):
                    key = (person, period)
                    got = tallies.get(key, (0.0, 0.0))
                    tallies[key] = (got[0] + amount, got[1] + verified)
            for record_id, record_type, data in rows:
                history.append((record_id, person, record_type, 1, "create", _dumps(data),
                                _dumps(sorted(data)), person, now))
                records.append([record_id, person, record_type, _dumps(data), now])
        with store.transaction():
            conn.executemany(
                "INSERT INTO users (id, username, role, display_name, location_id, secret_hash,"
                " locale, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", users)
            first = conn.execute("SELECT coalesce(max(seq), 0) FROM history").fetchone()[0]
            conn.executemany(
                "INSERT INTO history (record_id, person_id, type, revision, action, data,"
                " changed, actor_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", history)
            conn.executemany(
                "INSERT INTO records (id, person_id, type, data, revision, deleted,"
                " has_conflict, seq, created_at, created_by, updated_at, updated_by)"
                " VALUES (?, ?, ?, ?, 1, 0, 0, ?, ?, ?, ?, ?)",
                [(r[0], r[1], r[2], r[3], first + i + 1, r[4], r[1], r[4], r[1])
                 for i, r in enumerate(records)])
            conn.executemany(
                "INSERT INTO tallies (person_id, type, period, amount, verified)"
                " VALUES (?, 'volunteer', ?, ?, ?)",
                [(p, period, a, v) for (p, period), (a, v) in tallies.items()])
        done = min(start + batch, profiles)
        rate = done / (time.monotonic() - began)
        print(f"\r{done:7} of {profiles} profiles ({rate:.0f}/s)", end="", flush=True)
    print()
    store.set_stamp("tallies", 1)
    store.close()


def signed_in(app, username: str, secret: str):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post("/sign-in", data={"username": username, "secret": secret,
                                             "csrf_token": token})
    assert response.status_code == 303, (username, response.status_code)
    return client


def cases(app, coach_secret: str, person: str, place: str, username: str, secret: str):
    """name -> a function making the request once (and checking it worked)."""
    coach = signed_in(app, "coach", coach_secret)
    first = date.today().replace(day=1).isoformat()
    sync = {"X-Talentkaart-Sync": "1"}
    last = {}

    def pull():
        if "cursor" not in last:
            whole = coach.get(f"/sync/pull?person={person}&since=0", headers=sync).json
            last["cursor"] = max(0, whole["cursor"] - 100)
        return coach.get(f"/sync/pull?person={person}&since={last['cursor']}", headers=sync)

    def sign_in():
        client = app.test_client()
        html = client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        return client.post("/sign-in", data={"username": username, "secret": secret,
                                             "csrf_token": token})

    return {
        "caseload": lambda: coach.get("/caseload"),
        "review": lambda: coach.get(f"/people/{person}/review"),
        "pull of the last 100 changes": pull,
        "hours CSV of a place, a month": lambda: coach.get(
            f"/locations/{place}/hours.csv?from={first}&to={date.today().isoformat()}"),
        "sign-in": sign_in,
    }


def timed(call) -> float:
    began = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - began
    assert response.status_code in (200, 303), response.status_code
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--places", type=int, default=200)
    parser.add_argument("--database", type=Path,
                        default=Path(tempfile.gettempdir()) / "talentkaart-large.sqlite3")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if not (1 <= args.profiles <= 1_000_000 and 0 <= args.entries <= 1000
            and 1 <= args.places <= args.profiles):
        parser.error("use 1 to 1000000 profiles, 0 to 1000 entries, 1 place or more")
    if not args.database.exists():
        print(f"making {args.database} ...")
        generate(args.database, args.profiles, args.entries, args.places)
    print(f"{args.database}: {args.database.stat().st_size / 1e9:.1f} GB")
    big_app = create_app({"DATABASE": str(args.database), "SECRET_KEY": "bench"})
    big = cases(big_app, COACH_SECRET, str(uuid.UUID(int=1, version=4)), "place-0",
                "person000000", SECRET)
    with tempfile.TemporaryDirectory() as tmp:
        small_path = Path(tmp) / "small.sqlite3"
        per_place = max(1, args.profiles // args.places)
        with contextlib.redirect_stdout(io.StringIO()):
            generate(small_path, per_place * 2, args.entries, 2)
        small_app = create_app({"DATABASE": str(small_path), "SECRET_KEY": "bench"})
        small = cases(small_app, COACH_SECRET, str(uuid.UUID(int=1, version=4)), "place-0",
                      "person000000", SECRET)
        print(f"{'request':32} {'small ms':>8} {'large ms':>9} {'ratio':>6}")
        for name in big:
            times = {"small": [], "large": []}
            for _ in range(args.repeat):
                times["small"].append(timed(small[name]))
                times["large"].append(timed(big[name]))
            demo_ms = statistics.median(times["small"]) * 1000
            large_ms = statistics.median(times["large"]) * 1000
            print(f"{name:32} {demo_ms:8.1f} {large_ms:9.1f} {large_ms / demo_ms:6.2f}")


if __name__ == "__main__":
    main()
