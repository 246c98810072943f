"""Backups of the SQLite database, and restoring one: from a backup file or a replica.

A restore never makes things worse: the candidate is written beside the
database, checked (SQLite's integrity check, a schema version this code knows,
its last change number), and only then takes the database's place. The database
it replaces is kept, renamed, with its WAL. A running server holds
``ServingLock`` on the database; restore refuses while it is held.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sync.replica import Replication, sidecar_paths
from sync.store import SCHEMA_VERSION, Store

SIDE_FILES = ("-wal", "-shm")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


@dataclass(frozen=True)
class Checked:
    """What a verified database file holds."""

    schema_version: int
    last_change: int
    accounts: int
    records: int


POSTGRESQL = ("the database is on a PostgreSQL server: back it up and restore it with"
              " PostgreSQL's own tools (pg_dump, pg_restore, a standby; see README)")


def backup(store: Store, target: Path, *, force: bool = False) -> Checked:
    """Copy the live database to ``target`` (safe while the app runs), verified; only a
    complete, checked copy takes ``target``'s name."""
    if store.backend != "sqlite":
        raise BackupError(POSTGRESQL)
    target = Path(target)
    if target.exists() and not force:
        raise BackupError(f"{target} exists; use --force to overwrite it")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        store.backup_to(partial)
        checked = verify(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return checked


def verify(path: Path) -> Checked:
    """Check that ``path`` is a whole Talentkaart database this version can open."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"{path} cannot be opened: {error}") from error
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"{path} is damaged: {'; '.join(problems[:3])}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if not 1 <= version <= SCHEMA_VERSION:
            raise BackupError(f"{path} has schema version {version}; this Talentkaart "
                              f"reads versions 1 to {SCHEMA_VERSION}")
        last = conn.execute("SELECT coalesce(max(seq), 0) FROM history").fetchone()[0]
        accounts = conn.execute("SELECT count(*) FROM users").fetchone()[0]
        records = conn.execute("SELECT count(*) FROM records").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a Talentkaart database: {error}") from error
    finally:
        conn.close()
    return Checked(version, last, accounts, records)


def summary(store: Store) -> Checked:
    """What a live database holds (PostgreSQL checks its own integrity)."""
    return Checked(store.schema_version(), store.last_seq(), store.count("users"),
                   store.count("records"))


class ServingLock:
    """A running server holds this lock on its database (shared: several servers may
    use one file); a restore takes it alone, so it never swaps a file in use."""

    def __init__(self, database: Path):
        self.path = Path(database).with_name(Path(database).name + ".serving")
        self._file = None

    def acquire(self, *, alone: bool) -> bool:
        """Take the lock (``alone``: no one else may hold it); False when that cannot be."""
        handle = open(self.path, "a")  # noqa: SIM115 (held until release)
        try:
            fcntl.flock(handle, (fcntl.LOCK_EX if alone else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> ServingLock:
        if not self.acquire(alone=True):
            raise BackupError(IN_USE)
        return self

    def __exit__(self, *exc) -> None:
        self.release()


IN_USE = "the database is in use by a running Talentkaart server: stop it first"


def in_use(database: Path) -> bool:
    """Whether a running server holds the database."""
    lock = ServingLock(database)
    if lock.acquire(alone=True):
        lock.release()
        return False
    return True


def restore_file(source: Path, database: Path) -> tuple[Checked, Path | None]:
    """Replace ``database`` with a verified copy of the backup file ``source``."""
    database = Path(database)
    candidate = _candidate(database)
    try:
        # closing(): a connection's own "with" commits but leaves the file open.
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as from_db, \
                closing(sqlite3.connect(candidate)) as to_db:
            from_db.backup(to_db)
    except sqlite3.Error as error:
        _discard(candidate)
        raise BackupError(f"{source} cannot be read: {error}") from error
    return _install(candidate, database)


def restore_replica(replication: Replication, database: Path,
                    at: datetime | None = None) -> tuple[Checked, Path | None]:
    """Replace ``database`` with the replica's copy (latest, or as it was at ``at``)."""
    database = Path(database)
    candidate = _candidate(database)
    try:
        replication.restore(candidate, at)
    except BaseException:
        _discard(candidate)
        raise
    return _install(candidate, database)


def _candidate(database: Path) -> Path:
    # Beside the database (same disk): the final rename is atomic.
    database.parent.mkdir(parents=True, exist_ok=True)
    candidate = database.with_name(database.name + ".restoring")
    _discard(candidate)
    return candidate


def _discard(candidate: Path) -> None:
    for path in (candidate, *(Path(f"{candidate}{end}") for end in SIDE_FILES)):
        path.unlink(missing_ok=True)


def _install(candidate: Path, database: Path) -> tuple[Checked, Path | None]:
    """Verify ``candidate``, keep the old database aside, put the candidate in its place.
    Returns what it holds and where the old database went (None: there was none)."""
    try:
        checked = verify(candidate)
    except BaseException:
        _discard(candidate)
        raise
    for end in SIDE_FILES:  # left by the read-only check; the file itself is whole
        Path(f"{candidate}{end}").unlink(missing_ok=True)
    with ServingLock(database):
        kept = None
        if database.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            kept = database.with_name(f"{database.name}.before-restore-{stamp}")
            os.replace(database, kept)
            for end in SIDE_FILES:  # the WAL holds committed changes: it goes along
                if Path(f"{database}{end}").exists():
                    os.replace(f"{database}{end}", f"{kept}{end}")
        for path in sidecar_paths(database):
            # Litestream's position belongs to the old file; it starts anew.
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        os.replace(candidate, database)
    return checked, kept
