"""Signed-in page throughput against the stack's floor, measured side by side.

Usage: .venv/bin/python bench/page_throughput.py [--seconds 10] [--rounds 3]
       [--connections 16] [--path overview]

Starts ``talentkaart serve`` on a fresh demo database and the hello-world floor
app (bench/floor_app.py) on the same waitress settings, signs in as the demo
refugee, and loads each with wrk (Debian: ``apt-get install wrk``), A B A B ...
It prints requests per second of each round and the ratio page / floor, round
by round (the machine's speed drifts; a ratio within one round does not).
The target is a ratio of at least 0.5.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.servers import floor, sign_in, talentkaart  # noqa: E402
from sync.demo import load_demo  # noqa: E402
from sync.store import open_store  # noqa: E402

PATHS = {"overview": "/people/{id}/", "skills": "/people/{id}/skills/",
         "volunteering": "/people/{id}/volunteering/", "sign-in": "/sign-in"}


def wrk(url: str, seconds: int, connections: int, cookie: str | None) -> float:
    """Requests per second wrk reaches on ``url``."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}", "-H", "Accept-Encoding: br, gzip"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error answers\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--path", choices=sorted(PATHS), default="overview")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/page_throughput.py needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        store = open_store(database)
        secrets = {a["username"]: a["secret"] for a in load_demo(store)}
        person = store.user_by_username("tesfay")["id"]
        store.close()
        with talentkaart(database) as (base, _), floor() as (floor_base, _):
            cookie = sign_in(base, "tesfay", secrets["tesfay"])
            page = base + PATHS[args.path].format(id=person)
            ratios = []
            print(f"{args.path} page vs. hello-world Flask, waitress, {args.connections} "
                  f"connections, {args.seconds} s a run")
            for n in range(1, args.rounds + 1):
                ours = wrk(page, args.seconds, args.connections,
                           None if args.path == "sign-in" else cookie)
                theirs = wrk(floor_base + "/", args.seconds, args.connections, None)
                ratios.append(ours / theirs)
                print(f"round {n}: page {ours:7.0f} req/s   floor {theirs:7.0f} req/s   "
                      f"ratio {ours / theirs:.2f}")
            print(f"median ratio {statistics.median(ratios):.2f} (target >= 0.50)")


if __name__ == "__main__":
    main()
