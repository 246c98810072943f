"""Many people at once against a real ``talentkaart serve``: latency, errors, CPU and memory.

Usage: .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--threads 8]
       [--soak]   (ten minutes, and how memory and speed changed from start to end)
       [--database sqlite|postgresql] [--servers 1]   (app servers sharing the database)
       [--compare]   (SQLite and PostgreSQL, one and two servers, side by side)

Each simulated refugee signs in on a phone of their own and then, with a second
between actions, opens pages, saves a form, pushes a batch of 50 operations
and pulls changes, like a phone syncing its outbox. Every acknowledged
operation must be in the database at the end. It prints, per action, how many
were made and the median and 95th percentile time; errors (5xx answers,
time-outs after 30 s), 503s answered when the server is full, the server's
mean CPU and its peak and growth of memory (RSS). Needs aiohttp and psutil
(``.venv/bin/pip install -e '.[bench]'``). Not a test: it prints figures.

With several ``--servers`` the people are spread over them, as a load balancer
would. PostgreSQL is ``TALENTKAART_BENCH_POSTGRESQL`` (a database URL; each run
makes a schema of its own) or else a cluster started for the run with fsync on,
as durable as SQLite's ``synchronous = FULL``; its CPU is counted apart.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.servers import talentkaart  # noqa: E402
from pwa.server import RETRY_AFTER_SECONDS  # noqa: E402
from sync import accounts  # noqa: E402
from sync.store import open_store  # noqa: E402
from sync.write import Actor, Operation, apply, singleton_id  # noqa: E402

SECRET = "482913"
SYNC = {"X-Talentkaart-Sync": "1", "Accept-Encoding": "br, gzip"}
TIMEOUT = aiohttp.ClientTimeout(total=30)


def make_people(database: Path | str, count: int) -> list[dict]:
    """``count`` refugees at one asylum centre (one PIN hash: creating them is not measured)."""
    store = open_store(database)
    store.add_location("azc", "AZC Ter Apel", "azc")
    secret_hash = accounts.hash_secret(SECRET)
    people = []
    for n in range(count):
        user = {"id": str(uuid.uuid4()), "username": f"resident{n:04d}", "role": "refugee",
                "display_name": f"Resident {n}", "secret_hash": secret_hash,
                "location_id": "azc", "locale": "en"}
        store.add_user(user)
        apply(store, Actor(user["id"], "refugee"), Operation(
            str(uuid.uuid4()), user["id"], "basics", singleton_id(user["id"], "basics"), "put",
            0, {"display_name": user["display_name"], "preferred_language": "en",
                "location_id": "azc", "residence": "asylum_seeker",
                "procedure_start": "2025-06-01"}))
        people.append(user)
    store.close()
    return people


class Figures:
    """Times per action, errors and the operations the server acknowledged."""

    def __init__(self):
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.busy = 0
        self.acknowledged: set[str] = set()

    async def timed(self, action: str, request) -> aiohttp.ClientResponse | None:
        began = time.perf_counter()
        try:
            response = await request
            body = await response.read()
        except (TimeoutError, aiohttp.ClientError) as error:
            self.errors.append(f"{action}: {type(error).__name__}")
            return None
        self.times[action].append(time.perf_counter() - began)
        if response.status == 503:
            self.busy += 1
            return None
        if response.status >= 500:
            self.errors.append(f"{action}: HTTP {response.status}")
            return None
        response.body = body
        return response


def token_in(html: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()


async def person_uses_the_app(base: str, person: dict, until: float, figures: Figures,
                              rng: random.Random) -> None:
    # unsafe=True: keep cookies from an IP address (127.0.0.1), as a browser does.
    async with aiohttp.ClientSession(base, timeout=TIMEOUT, cookie_jar=aiohttp.CookieJar(
            unsafe=True), headers={"Accept-Encoding": "br, gzip"}) as http:
        # Turned away as busy (503), a phone waits as Retry-After says and tries again.
        for _attempt in range(10):
            busy = figures.busy
            page = await figures.timed("page", http.get("/sign-in"))
            signed = page and await figures.timed("sign-in", http.post("/sign-in", data={
                "username": person["username"], "secret": SECRET,
                "csrf_token": token_in(page.body)}, allow_redirects=False))
            if signed is not None or figures.busy == busy:
                break
            await asyncio.sleep(RETRY_AFTER_SECONDS)
        if signed is None or signed.status != 303:
            figures.errors.append(f"sign-in: {signed.status if signed else 'none'}")
            return
        home = f"/people/{person['id']}"
        cursor, day = 0, date(2020, 1, 1) + timedelta(days=rng.randrange(2000))
        while time.monotonic() < until:
            await asyncio.sleep(1 + rng.random() * 0.2)
            choice = rng.random()
            if choice < 0.5:
                path = rng.choice(["/", "/skills/", "/volunteering/", "/plan/", "/languages/"])
                await figures.timed("page", http.get(home + path))
            elif choice < 0.75:
                form = await figures.timed("page", http.get(home + "/skills/new"))
                if form is None:
                    continue
                await figures.timed("form save", http.post(home + "/skills/new", data={
                    "csrf_token": token_in(form.body), "op_id": str(uuid.uuid4()),
                    "record_id": str(uuid.uuid4()), "base_revision": "0",
                    "free_text": f"Skill {rng.randrange(10**6)}", "level": "3",
                    "learned": "work"}, allow_redirects=False))
            elif choice < 0.9:
                ops = []
                for _ in range(50):
                    day += timedelta(days=1)
                    ops.append({"op_id": str(uuid.uuid4()), "person_id": person["id"],
                                "record_type": "volunteer", "record_id": str(uuid.uuid4()),
                                "action": "put", "base_revision": 0,
                                "fields": {"date": day.isoformat(), "organisation": "Voedselbank",
                                           "activity": "Sorting food", "hours": 2}})
                pushed = await figures.timed("push of 50", http.post(
                    "/sync/push", json={"operations": ops}, headers=SYNC))
                if pushed is not None and pushed.status == 200:
                    for result in json.loads(pushed.body)["results"]:
                        if result["status"] != "rejected":
                            figures.acknowledged.add(result["record_id"])
            else:
                pulled = await figures.timed("pull", http.get(
                    f"/sync/pull?person={person['id']}&since={cursor}", headers=SYNC))
                if pulled is not None and pulled.status == 200:
                    cursor = json.loads(pulled.body)["cursor"]


async def watch(pids: list[int], db_pids: Callable[[], list[int]], until: float,
                samples: list[tuple[float, float, float]]):
    """Each second: the app servers' CPU (summed) and RSS (summed), the database's CPU
    (its processes come and go with connections: looked up anew each time)."""
    servers = [psutil.Process(pid) for pid in pids]
    for process in servers:
        process.cpu_percent()
    db_seconds, clock = _cpu_seconds(db_pids()), time.monotonic()
    while time.monotonic() < until:
        await asyncio.sleep(1)
        try:
            now_seconds, now = _cpu_seconds(db_pids()), time.monotonic()
            db_cpu = sum(t - db_seconds.get(pid, 0.0) for pid, t in now_seconds.items())
            samples.append((sum(p.cpu_percent() for p in servers),
                            sum(p.memory_info().rss for p in servers),
                            100 * db_cpu / (now - clock)))
            db_seconds, clock = now_seconds, now
        except psutil.NoSuchProcess:
            return


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU seconds used so far by each of ``pids`` that still runs."""
    used = {}
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = psutil.Process(pid).cpu_times()
            used[pid] = times.user + times.system
    return used


def percentile(values: list[float], p: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[int(p) - 1]


async def run(bases: list[str], pids: list[int], db_pids: Callable[[], list[int]],
              people: list[dict],
              seconds: float) -> tuple[Figures, list]:
    figures, samples = Figures(), []
    began = time.monotonic()
    until = began + seconds
    rng = random.Random(7)
    users = []
    for n, person in enumerate(people):
        # Arrivals spread over the first seconds, as people open the app.
        await asyncio.sleep(min(5.0, seconds / 10) / len(people))
        users.append(asyncio.create_task(person_uses_the_app(
            bases[n % len(bases)], person, until, figures, random.Random(rng.random() + n))))
    await asyncio.gather(watch(pids, db_pids, until, samples), *users)
    return figures, samples


def report(figures: Figures, samples: list, seconds: float, stored: int) -> dict:
    """Print the figures of a run; return the main ones for a side-by-side table."""
    total = sum(len(t) for t in figures.times.values())
    print(f"{total} requests in {seconds:.0f} s = {total / seconds:.1f} requests/s")
    for action in ("page", "form save", "push of 50", "pull", "sign-in"):
        times = figures.times.get(action, [])
        if times:
            print(f"  {action:11} {len(times):6}   median {statistics.median(times) * 1000:7.1f} ms"
                  f"   p95 {percentile(times, 95) * 1000:7.1f} ms")
    print(f"errors: {len(figures.errors)}" + (f" ({', '.join(sorted(set(figures.errors)))})"
                                               if figures.errors else ""))
    print(f"answered 503 (server full, try again): {figures.busy}")
    summary = {"req/s": total / seconds, "errors": len(figures.errors), "503": figures.busy}
    for action in ("page", "form save", "push of 50", "pull"):
        summary[f"p95 {action}"] = percentile(figures.times.get(action, []), 95) * 1000
    if samples:
        cpu = statistics.mean(s[0] for s in samples)
        db_cpu = statistics.mean(s[2] for s in samples)
        rss = [s[1] / 2**20 for s in samples]
        first, last = statistics.mean(rss[:30]), statistics.mean(rss[-30:])
        print(f"app servers' CPU mean {cpu:.0f} % (of one core); RSS peak {max(rss):.0f} MB, "
              f"first {first:.0f} MB, last {last:.0f} MB ({(last - first) / first * 100:+.1f} %)")
        if db_cpu:
            print(f"PostgreSQL's CPU mean {db_cpu:.0f} % (of one core)")
        summary.update({"app CPU %": cpu, "db CPU %": db_cpu, "RSS MB": max(rss)})
        # The path between: a leak climbs on; caches filling up level off.
        tenths = [rss[min(len(rss) - 1, len(rss) * n // 10)] for n in range(1, 11)]
        print("RSS at each tenth of the run (MB): " + " ".join(f"{v:.0f}" for v in tenths))
    print(f"operations acknowledged {len(figures.acknowledged)}, in the database {stored}: "
          + ("every one" if stored == len(figures.acknowledged) else "MISSING SOME"))
    summary["lost"] = len(figures.acknowledged) - stored
    return summary


@contextlib.contextmanager
def postgresql() -> Iterator[tuple[Callable[[], str], Callable[[], list[int]]]]:
    """(a maker of fresh PostgreSQL databases, the server's pids when it is ours)."""
    from tests.databases import PostgreSQLServer

    server = PostgreSQLServer(os.environ.get("TALENTKAART_BENCH_POSTGRESQL", ""), durable=True)
    try:
        yield server.new_database, server.cluster.pids if server.cluster else list
    finally:
        server.close()


def run_once(database: Path | str, tmp: Path, args, servers: int,
             db_pids: Callable[[], list[int]],
             label: str) -> dict:
    """One run: people made, servers started, the load, the figures printed."""
    seconds = 600 if args.soak else args.seconds
    people = make_people(database, args.users)
    logs = [tmp / f"server-{label}-{n}.log" for n in range(servers)]
    with contextlib.ExitStack() as stack:
        started = [stack.enter_context(talentkaart(database, threads=args.threads, log=log))
                   for log in logs]
        figures, samples = asyncio.run(run([base for base, _ in started],
                                           [process.pid for _, process in started],
                                           db_pids, people, seconds))
    store = open_store(database)
    stored = sum(1 for record_id in figures.acknowledged if store.record(record_id))
    store.close()
    print(f"\n== {label}: {args.users} people, {servers} app server(s) of "
          f"{args.threads} threads")
    summary = report(figures, samples, seconds, stored)
    problems = [line for log in logs for line in log.read_text(errors="replace").splitlines()
                if "Error" in line or "Traceback" in line]
    if problems:
        print(f"the servers logged {len(problems)} error lines, the last:", *problems[-5:],
              sep="\n  ")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--soak", action="store_true", help="ten minutes")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--servers", type=int, default=1, help="app servers (1 to 4)")
    parser.add_argument("--compare", action="store_true",
                        help="SQLite and PostgreSQL with one and two servers, side by side")
    args = parser.parse_args()
    seconds = 600 if args.soak else args.seconds
    if not (1 <= args.users <= 2000 and 5 <= seconds <= 7200 and 1 <= args.servers <= 4):
        parser.error("use 1 to 2000 users, 5 to 7200 seconds and 1 to 4 servers")
    runs = ([("sqlite", 1), ("sqlite", 2), ("postgresql", 1), ("postgresql", 2)]
            if args.compare else [(args.database, args.servers)])
    results = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        pg = (stack.enter_context(postgresql()) if any(b == "postgresql" for b, _ in runs)
              else None)
        for backend, servers in runs:
            label = f"{backend} x{servers}"
            database = (pg[0]() if backend == "postgresql"
                        else Path(tmp) / f"load-{servers}.sqlite3")
            results[label] = run_once(database, Path(tmp), args, servers,
                                      pg[1] if backend == "postgresql" else list, label)
    if len(results) > 1:
        names = list(next(iter(results.values())))
        print("\n" + f"{'':14}" + "".join(f"{label:>16}" for label in results))
        for name in names:
            print(f"{name:14}" + "".join(f"{r.get(name, float('nan')):16.1f}"
                                         for r in results.values()))


if __name__ == "__main__":
    main()
