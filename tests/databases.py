"""The databases tests run on: a SQLite file, or a fresh schema on a real PostgreSQL server.

Every test that touches the store runs on both backends (``--backend`` picks one).
PostgreSQL comes from ``TALENTKAART_TEST_POSTGRESQL`` (a URL of a database where
the tests may make schemas), or else from a throw-away cluster made with Debian's
``initdb`` in a temporary directory, reached by a Unix socket only, and stopped at
the end of the run.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

BACKENDS = ("sqlite", "postgresql")


class NoPostgreSQL(RuntimeError):
    """No PostgreSQL server could be found or started."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise NoPostgreSQL(
        "PostgreSQL is not installed: `apt-get install postgresql` (./scripts/test does it"
        " as root), set TALENTKAART_TEST_POSTGRESQL to a database URL, or run only"
        " `--backend sqlite`")


class Cluster:
    """A PostgreSQL cluster of our own in a temporary directory (``durable``: with fsync,
    as a production server runs; the benches want that, the tests want speed)."""

    def __init__(self, *, durable: bool = False):
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="tk-pg-"))
        # initdb refuses to run as root; CI runs as root, so the cluster is postgres's.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER") or "postgres"
        if self.as_user:
            shutil.chown(self.root, "postgres")
        self.data = self.root / "data"
        self._pg("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust",
                 "--encoding=UTF8", "--locale=C.UTF-8")
        options = (f"-c listen_addresses='' -c unix_socket_directories='{self.root}'"
                   " -c max_connections=400")
        if not durable:  # the tests kill app servers, never this cluster
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                 "-o", options, "start")
        self.url = f"postgresql://{quote(self.user)}@/postgres?host={quote(str(self.root))}"

    def pids(self) -> list[int]:
        """The server's processes (the postmaster first), for the benches' CPU figures."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True,
                                  text=True, check=False).stdout.split()
        return [postmaster, *map(int, children)]

    def _pg(self, program: str, *args: str) -> None:
        result = subprocess.run([*self.as_user, str(self.bin / program), *args],
                                capture_output=True, text=True, timeout=120, check=False)
        if result.returncode:
            raise NoPostgreSQL(f"{program} failed: {result.stderr.strip()}")

    def stop(self) -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class PostgreSQLServer:
    """Hands out fresh, empty schemas on one server, one per test."""

    def __init__(self, url: str | None = None, *, durable: bool = False):
        """``url``: a database to make schemas in (default: TALENTKAART_TEST_POSTGRESQL);
        none (or empty): a cluster of our own."""
        import psycopg

        self.cluster = None
        if url is None:
            url = os.environ.get("TALENTKAART_TEST_POSTGRESQL")
        if not url:
            self.cluster = Cluster(durable=durable)
            url = self.cluster.url
        self.url = url
        self.admin = psycopg.connect(url, autocommit=True)
        # A schema still in use by a leaked transaction is left for the cluster's end.
        self.admin.execute("SET lock_timeout = '2s'")
        self._names = (f"t{os.getpid()}_{n}" for n in itertools.count())

    def new_database(self) -> str:
        """The URL of a new, empty schema (the store makes its tables)."""
        schema = next(self._names)
        self.admin.execute(f'CREATE SCHEMA "{schema}"')
        joiner = "&" if "?" in self.url else "?"
        return f"{self.url}{joiner}options={quote(f'-c search_path={schema}')}"

    def drop(self, url: str) -> None:
        """Forget a schema a test made (idle connections to it do not stop this).

        A request of a browser test's server may still be running in its thread when
        the test ends (the server stops taking new ones, not the ones under way); if it
        holds or wants a lock the drop needs, the drop waits out ``lock_timeout`` or
        PostgreSQL calls it a deadlock. Either way the schema is left for the cluster's
        end, and the next test gets a new one."""
        import psycopg

        schema = url.rsplit("search_path%3D", 1)[-1]
        with contextlib.suppress(psycopg.errors.LockNotAvailable,
                                 psycopg.errors.DeadlockDetected):
            self.admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def close(self) -> None:
        self.admin.close()
        if self.cluster:
            self.cluster.stop()
