"""Copy a SQLite database into PostgreSQL, and prove the copy whole.

The way from one server to several: the SQLite file (its server stopped) is read
as one snapshot and written, change numbers and all, into an empty PostgreSQL
schema in one transaction. Then both are read again, and every table must hold
the same rows: the same count and the same digest of its rows, in any order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sync.store import SCHEMA_VERSION, Store

# Parents before the rows that refer to them (foreign keys are checked as rows arrive).
TABLES = ("locations", "users", "staff_locations", "handover_codes", "sessions",
          "signin_failures", "device_keys", "records", "history", "operations", "conflicts",
          "reviews", "work_rules", "tallies", "profile_views", "erasures", "moves",
          "shares", "consents", "files", "uploads", "statements", "stamps")
# Version numbers that belong to the database itself, not to what it holds.
OWN_STAMPS = {"schema"}


class TransferError(Exception):
    """A copy that cannot be made, or that differs from its original."""


@dataclass(frozen=True)
class Copied:
    """What a verified copy holds: rows per table, and its newest change number."""

    rows: dict[str, int]
    last_change: int


def copy_database(source: Store, target: Store) -> Copied:
    """Copy every row of ``source`` into the empty PostgreSQL ``target``, then verify."""
    if target.backend != "postgresql":
        raise TransferError("the copy goes into a PostgreSQL database")
    if source.schema_version() != SCHEMA_VERSION:
        raise TransferError(f"the database has schema version {source.schema_version()};"
                            f" open it with this version first (version {SCHEMA_VERSION})")
    unknown = sorted(set(source.tables()) - set(TABLES))
    if unknown:
        raise TransferError(f"tables this version does not know: {', '.join(unknown)}")
    filled = [table for table in TABLES if table != "stamps" and target.count(table)]
    if filled:
        raise TransferError("the PostgreSQL database is not empty (rows in"
                            f" {', '.join(filled)}): copy into a new, empty one")
    with source.snapshot(), target.transaction():
        for table in TABLES:
            for rows in source.rows_of(table):
                if table == "stamps":  # the target has its own rows already
                    for row in rows:
                        target.set_stamp(row["name"], row["value"])
                else:
                    target.add_rows(table, rows)
        target.continue_serials()
    return verify_copy(source, target)


def verify_copy(source: Store, target: Store) -> Copied:
    """Check that ``target`` holds exactly the rows of ``source``, table by table."""
    counts, differ = {}, []
    with source.snapshot(), target.snapshot():
        for table in TABLES:
            mine, theirs = _digest(source, table), _digest(target, table)
            counts[table] = mine[0]
            if mine != theirs:
                differ.append(f"{table} ({mine[0]} rows here, {theirs[0]} in the copy)")
        last = source.last_seq()
        if target.last_seq() != last:
            differ.append("the newest change number")
    if differ:
        raise TransferError(f"the copy differs from the original in {'; '.join(differ)}")
    return Copied(counts, last)


def _digest(store: Store, table: str) -> tuple[int, int]:
    """(rows, a sum of the rows' hashes): equal for equal tables, whatever the order."""
    count, total = 0, 0
    for rows in store.rows_of(table):
        for row in rows:
            if table == "stamps" and row["name"] in OWN_STAMPS:
                continue
            text = json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
            total += int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
            count += 1
    return count, total % (1 << 256)
