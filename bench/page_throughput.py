"""Signed-in page throughput against the stack's floor, measured side by side.

Usage: .venv/bin/python bench/page_throughput.py [--seconds 10] [--rounds 3]
       [--connections 16] [--path overview] [--client wrk|python]

Starts ``talentkaart serve`` on a fresh demo database and the hello-world floor
app (bench/floor_app.py) on the same waitress settings, signs in as the demo
refugee, and loads each with the same client, A B A B ... It prints requests per
second of each round and the ratio page / floor, round by round (the machine's
speed drifts; a ratio within one round does not). The target is a ratio of at
least 0.5.

The client matters: wrk (C; Debian: ``apt-get install wrk``) is fast enough to
find the server's own floor, thousands of hello-worlds a second; ``python`` uses
one keep-alive connection per thread; ``python-reconnect`` a new connection for
every request, as simple load scripts do (and as the first measurement of this
issue did: its floor was 504 requests a second).
"""

from __future__ import annotations

import argparse
import functools
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


def python_client(url: str, seconds: int, connections: int, cookie: str | None,
                  reconnect: bool = False) -> float:
    """Requests per second from ``connections`` threads with a keep-alive connection each
    (or, ``reconnect``, a new connection for each request)."""
    import http.client
    import threading
    import time
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    headers = {"Accept-Encoding": "br, gzip"}
    if cookie:
        headers["Cookie"] = cookie
    counts, errors = [0] * connections, []
    until = time.monotonic() + seconds

    def run(n: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.monotonic() < until:
            if reconnect:
                connection.close()
            connection.request("GET", parts.path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                errors.append(response.status)
            counts[n] += 1
        connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{url}: {len(errors)} error answers")
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--path", choices=sorted(PATHS), default="overview")
    parser.add_argument("--client", choices=["wrk", "python", "python-reconnect"],
                        default="wrk")
    args = parser.parse_args()
    if args.client == "wrk" and not shutil.which("wrk"):
        sys.exit("bench/page_throughput.py needs wrk (apt-get install wrk), or --client python")
    load = {"wrk": wrk, "python": python_client,
            "python-reconnect": functools.partial(python_client, reconnect=True)}[args.client]
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
            print(f"{args.path} page vs. hello-world Flask, waitress, {args.client} client, "
                  f"{args.connections} connections, {args.seconds} s a run")
            for n in range(1, args.rounds + 1):
                ours = load(page, args.seconds, args.connections,
                            None if args.path == "sign-in" else cookie)
                theirs = load(floor_base + "/", args.seconds, args.connections, None)
                ratios.append(ours / theirs)
                print(f"round {n}: page {ours:7.0f} req/s   floor {theirs:7.0f} req/s   "
                      f"ratio {ours / theirs:.2f}")
            print(f"median ratio {statistics.median(ratios):.2f} (target >= 0.50)")


if __name__ == "__main__":
    main()
