"""How fast the server takes in an outbox: operations per second through the write path.

Usage: .venv/bin/python bench/sync_throughput.py [--operations 2000] [--batch 50]
       [--database sqlite|postgresql|both]

Pushes volunteer-hour entries for one refugee through ``sync.protocol.push``
on a fresh SQLite file (WAL, synchronous=FULL as in production) or PostgreSQL
schema (fsync on; see bench/load.py for where the server comes from), then
pushes them all again (a full replay, as after a lost acknowledgement). Prints
figures; it is not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import postgresql  # noqa: E402
from sync import accounts, protocol  # noqa: E402
from sync.store import open_store  # noqa: E402
from sync.write import Actor, new_id  # noqa: E402


def positive(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError("use a number from 1 to 100000")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=positive, default=2000)
    parser.add_argument("--batch", type=positive, default=50)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"],
                        default="sqlite")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        for backend in backends:
            if backend == "postgresql":
                database = stack.enter_context(postgresql())[0]()
            else:
                database = Path(tmp) / "bench.sqlite3"
            print(f"== {backend}")
            push_and_replay(database, args)


def push_and_replay(database: Path | str, args) -> None:
    """Push the outbox, then all of it again; print the figures of each."""
    store = open_store(database)
    store.add_location("loc", "AZC", "azc")
    person = accounts.create_user(store, role="refugee", username="bench",
                                  display_name="Bench", secret="482913", location_id="loc")
    actor = Actor(person, "refugee")
    start = date(2020, 1, 1)
    ops = [{"op_id": new_id(), "person_id": person, "record_type": "volunteer",
            "record_id": new_id(), "action": "put", "base_revision": 0,
            "fields": {"date": (start + timedelta(days=i)).isoformat(),
                       "organisation": "Voedselbank", "activity": "Sorteren",
                       "hours": "2"}} for i in range(args.operations)]
    for label in ("first push", "full replay"):
        timings = []
        began = time.perf_counter()
        for i in range(0, len(ops), args.batch):
            t0 = time.perf_counter()
            results = protocol.push(store, actor, ops[i:i + args.batch])
            timings.append(time.perf_counter() - t0)
            assert all(r["status"] != "rejected" for r in results), results[:1]
        total = time.perf_counter() - began
        p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
        print(f"{label:12} {len(ops):6} operations in {total:6.2f} s = "
              f"{len(ops) / total:7.0f} ops/s; batch of {args.batch}: "
              f"median {statistics.median(timings) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms")
    print(f"records stored: {len(store.records(person))} (expected {len(ops)})")
    store.close()


if __name__ == "__main__":
    main()
