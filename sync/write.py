"""The write path: every change to a profile goes through ``apply``.

An operation names a record, the revision its author last saw, and the fields
it sets. ``apply`` checks who may do it, validates the record as a whole,
and then, in one transaction:

* skips an operation it has already applied (same ``op_id``) and answers with
  the outcome it gave the first time, so retries and replays are harmless;
* applies it when its base revision is current;
* merges it when it is stale but touches only fields nobody changed since;
* otherwise keeps both versions: the current one stays, the stale one is stored
  as an open conflict and the record is flagged, so nothing is overwritten;
* appends the change to the history and advances the change sequence.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sync import clock
from sync.messages import N_
from sync.records import RECORD_TYPES, RecordType, ValidationFailed, validate
from sync.store import ENTRY_COUNT, Store, utc_now

# Singletons get a record id derived from the person, so two phones that each
# create "basics" offline end up editing the same record instead of two.
SINGLETON_NAMESPACE = uuid.UUID("6f1c5b8e-8d1a-4d0c-9a52-3d7c1e0b2a10")

STAFF_ROLES = ("volunteer", "coach")


class WriteError(Exception):
    """An operation that cannot be applied; ``message`` is a msgid."""

    message = N_("This change cannot be saved")


class Forbidden(WriteError):
    """The actor may not change this person's profile (or this field)."""

    message = N_("You are not allowed to change this")


class NotFound(WriteError):
    """The record does not exist for this person (or belongs to someone else)."""

    message = N_("This entry does not exist")


class BadOperation(WriteError):
    """The operation itself is malformed (unknown type, bad id, bad action)."""

    message = N_("This change is not valid")


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a user with a role and, for staff, locations."""

    id: str
    role: str
    location_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Operation:
    """One change, as made on a device or in a form."""

    op_id: str
    person_id: str
    record_type: str
    record_id: str
    action: str  # "put" or "delete"
    base_revision: int  # 0 when the record is new
    fields: dict[str, Any] = field(default_factory=dict)
    # The same author's previous operation on this record, when it was made
    # before that one was acknowledged (see ``_what_the_author_saw``).
    after: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened: applied, merged, conflict, or duplicate (a replay)."""

    status: str
    record_id: str
    revision: int
    seq: int | None = None
    conflict_id: str | None = None

    def as_dict(self) -> dict:
        """A JSON-friendly form, stored for replays."""
        return {"status": self.status, "record_id": self.record_id,
                "revision": self.revision, "seq": self.seq, "conflict_id": self.conflict_id}


def new_id() -> str:
    """A random record or operation id (UUID4), made where the record is made."""
    return str(uuid.uuid4())


def singleton_id(person_id: str, record_type: str) -> str:
    """The fixed id of a one-per-person record such as the basics."""
    return str(uuid.uuid5(SINGLETON_NAMESPACE, f"{person_id}:{record_type}"))


def is_uuid(value: str) -> bool:
    """Whether ``value`` is a UUID in its canonical (lower-case, hyphenated) form."""
    try:
        # Only the canonical form: an upper-case copy of an id would be a second key.
        return str(uuid.UUID(value)) == value
    except (ValueError, AttributeError, TypeError):
        return False


def can_see(store: Store, actor: Actor, person_id: str) -> bool:
    """Whether ``actor`` may see ``person_id``'s profile at all."""
    if actor.role == "refugee":
        return actor.id == person_id
    if actor.role in STAFF_ROLES:
        person = store.user(person_id)
        return bool(person and person["role"] == "refugee"
                    and person["location_id"] in actor.location_ids)
    return False  # admins manage places and staff, not profiles


class _StoreContext:
    """Validation's window onto the store, limited to one person."""

    def __init__(self, store: Store, person_id: str):
        self.store, self.person_id = store, person_id

    def location_exists(self, location_id: str) -> bool:
        return self.store.location(location_id) is not None

    def own_record_type(self, record_id: str) -> str | None:
        rec = self.store.record(record_id)
        if rec and rec["person_id"] == self.person_id and not rec["deleted"]:
            return rec["type"]
        return None

    def hours_on(self, day: str, exclude_id: str) -> float:
        return self.store.volunteer_hours_on(self.person_id, day, exclude_id)


def _check_operation(op: Operation) -> None:
    spec = RECORD_TYPES.get(op.record_type)
    if spec is None or op.action not in ("put", "delete"):
        raise BadOperation()
    if not (is_uuid(op.op_id) and is_uuid(op.record_id) and is_uuid(op.person_id)):
        raise BadOperation()
    if not isinstance(op.base_revision, int) or op.base_revision < 0:
        raise BadOperation()
    if not isinstance(op.fields, dict):
        raise BadOperation()
    if op.after is not None and (not is_uuid(op.after) or op.after == op.op_id):
        raise BadOperation()
    if spec.singleton and op.record_id != singleton_id(op.person_id, op.record_type):
        raise BadOperation()


def _check_permission(store: Store, actor: Actor, op: Operation) -> None:
    if not can_see(store, actor, op.person_id):
        raise NotFound()  # never confirm that someone else's profile exists
    spec = RECORD_TYPES[op.record_type]
    if any(f.derived and f.name in op.fields for f in spec.fields):
        raise Forbidden()  # who checked the hours is the write path's to say
    staff_fields = spec.staff_fields
    if actor.role == "coach":
        # Coaches review: they write comments and the status of hours, and
        # leave the person's own words alone.
        if not spec.staff_only and (op.action != "put" or not set(op.fields) <= staff_fields
                                    or not op.fields):
            raise Forbidden()
    elif spec.staff_only or staff_fields & set(op.fields):
        raise Forbidden()


def apply(store: Store, actor: Actor, op: Operation, *, today: date | None = None,
          via: str | None = None) -> Outcome:
    """Apply one operation exactly once; see the module docstring.

    Raises ``ValidationFailed`` (field errors), ``Forbidden``, ``NotFound`` or
    ``BadOperation``; in each case nothing is written.
    """
    with store.transaction(pipelined=True):
        return apply_in_transaction(store, actor, op, today=today, via=via)


def apply_in_transaction(store: Store, actor: Actor, op: Operation, *,
                         today: date | None = None, via: str | None = None) -> Outcome:
    """``apply`` inside a transaction the caller opened and commits (a batch of a
    phone's operations, committed and made durable together); raises as ``apply``."""
    _check_operation(op)
    return _apply_locked(store, actor, op, today or clock.today(), via)


def _apply_locked(store: Store, actor: Actor, op: Operation, today: date,
                  via: str | None = None) -> Outcome:
    """``apply`` inside an open transaction."""
    done = store.operation(op.op_id)
    if done is not None:
        if done["actor_id"] != actor.id or done["person_id"] != op.person_id:
            raise Forbidden()  # someone replaying another user's operation
        return Outcome(**{**done["outcome"], "status": "duplicate"})
    _check_permission(store, actor, op)
    outcome, view = _apply_new(store, actor, op, today, via)
    store.add_operation(op.op_id, actor.id, op.person_id, op.record_id, outcome.as_dict(),
                        view)
    return outcome


def _what_the_author_saw(store: Store, actor: Actor, op: Operation,
                         current: dict) -> tuple[bool, dict | None]:
    """(whether the author saw the current revision, the data they saw).

    Normally that is the base revision. But an edit made on a phone after the
    same phone's earlier, unacknowledged edit of the record (``after``) was
    made on top of that edit: if the server merged it, the revision moved past
    anything the phone could know, and the phone's own change must not count
    as "someone else changed this since".
    """
    if op.after is not None:
        before = store.operation(op.after)
        if before is not None:
            if (before["actor_id"] != actor.id or before["person_id"] != op.person_id
                    or before["record_id"] != op.record_id):
                raise BadOperation()  # a chain through someone else's change
            outcome = before["outcome"]
            # A base at or past that operation's revision means the author has
            # since seen the server's version, which is newer than their own.
            if outcome["revision"] > op.base_revision:
                fresh = (outcome["status"] == "applied"
                         and outcome["revision"] == current["revision"])
                return fresh, before["view"]
        # Unknown: it was refused (and is still on the phone): judge by the base.
    if op.base_revision > current["revision"]:
        raise BadOperation()  # a revision the server never gave out
    if op.base_revision == current["revision"]:
        return True, current["data"]
    return False, store.record_at_revision(op.record_id, op.base_revision)


def record_view(store: Store, record: dict | None) -> dict | None:
    """A record as people see it: a basics record with the name, place and language,
    which live in the person's account (the users table) and nowhere else."""
    columns = RECORD_TYPES[record["type"]].account_columns if record else None
    if not columns:
        return record
    account = store.user(record["person_id"])
    return {**record, "data": {**record["data"],
                               **{name: account[column] for name, column in columns.items()}}}


def _apply_new(store: Store, actor: Actor, op: Operation, today: date,
               via: str | None) -> tuple[Outcome, dict | None]:
    """The outcome, and the record as the author now sees it (None: deleted)."""
    current = record_view(store, store.record(op.record_id))
    if current is not None and (current["person_id"] != op.person_id
                                or current["type"] != op.record_type):
        raise NotFound()  # a tampered id pointing at someone else's record
    if (current is not None and RECORD_TYPES[op.record_type].staff_only
            and current["created_by"] != actor.id):
        # A coach's comment is theirs: another coach must not put words in their mouth.
        raise Forbidden()
    if current is None:
        if op.action == "delete" or op.base_revision != 0:
            raise NotFound()
        return _write(store, actor, op, None, dict(op.fields), today, "applied", via)

    fresh, seen = _what_the_author_saw(store, actor, op, current)
    if fresh:
        if current["deleted"] and op.action == "delete":
            return Outcome("applied", op.record_id, current["revision"], current["seq"]), None
        # A put on a deleted record at its current revision brings it back.
        proposed = _proposal(current["data"], op)
        return _write(store, actor, op, current, proposed, today, "applied", via)

    # Stale: someone changed the record after this operation's author saw it.
    seen = seen or {}
    proposal = op.fields
    if not current["deleted"] and op.action == "put":
        # Compare cleaned values: a form's "3" is the same hours as the stored 3.0.
        cleaned = validate(op.record_type, {**current["data"], **op.fields},
                           _StoreContext(store, op.person_id), op.record_id, today)
        # A form sends every field; only those the author changed are their change,
        # the others must not undo what someone else changed meanwhile.
        proposal = {k: v for k, v in op.fields.items() if cleaned.get(k) != seen.get(k)}
        judgement = RECORD_TYPES[op.record_type].judgement
        if judgement and set(proposal) & judgement.fields:
            # A verdict and its reason are one statement: never half of it.
            proposal.update({k: v for k, v in op.fields.items() if k in judgement.fields})
        changed_since = {k for k in set(seen) | set(current["data"])
                         if seen.get(k) != current["data"].get(k)}
        clashing = {k for k in proposal
                    if k in changed_since and cleaned.get(k) != current["data"].get(k)}
        if judgement and set(proposal) & judgement.fields and changed_since & judgement.about:
            # A verdict on hours the coach did not see must not land on the new hours.
            clashing |= set(proposal) & judgement.fields
        if not clashing:
            merged = {**current["data"], **proposal}
            outcome, _ = _write(store, actor, op, current, merged, today, "merged", via)
            return outcome, _seen_with(seen, cleaned, op, proposal)
    if current["deleted"] and op.action == "delete":
        # Deleting what is already gone is what the author wanted: no conflict.
        return Outcome("applied", op.record_id, current["revision"], current["seq"]), None
    return _keep_both(store, actor, op, proposal, current, seen, today, via)


def _seen_with(seen: dict, cleaned: dict, op: Operation, proposal: dict) -> dict | None:
    """What the author sees after their operation: what they saw, plus their change."""
    if op.action == "delete":
        return None
    return {**seen, **{k: cleaned.get(k) for k in proposal}}


def _proposal(data: dict, op: Operation) -> dict | None:
    if op.action == "delete":
        return None
    return {**data, **op.fields}


def _write(store: Store, actor: Actor, op: Operation, current: dict | None,
           proposed: dict | None, today: date, status: str,
           via: str | None = None) -> tuple[Outcome, dict | None]:
    """Write a new revision; the outcome, and the data written (None: deleted)."""
    now = utc_now()
    if proposed is None:  # delete: keep the data, mark it deleted
        data = current["data"]
        changed: list[str] = []
        action = "delete"
    else:
        data = validate(op.record_type, proposed, _StoreContext(store, op.person_id),
                        op.record_id, today)
        if current is not None:
            # After validation, so "2" typed in a form equals the stored 2.0.
            data = _judged(RECORD_TYPES[op.record_type], current["data"], data, actor)
        before = current["data"] if current else {}
        changed = sorted(k for k in data if data.get(k) != before.get(k))
        action = "create" if current is None else "update"
    revision = (current["revision"] if current else 0) + 1
    spec = RECORD_TYPES[op.record_type]
    # The history keeps the record as people saw it; the account's fields are stored
    # in the account only.
    stored = {k: v for k, v in data.items() if k not in spec.account_columns}
    seq = store.append_history({
        "record_id": op.record_id, "person_id": op.person_id, "type": op.record_type,
        "revision": revision, "action": action, "data": data, "changed": changed,
        "actor_id": actor.id, "op_id": op.op_id, "at": now, "via": via})
    if current is None:
        store.insert_record({
            "id": op.record_id, "person_id": op.person_id, "type": op.record_type,
            "data": stored, "revision": revision, "deleted": 0, "has_conflict": 0,
            "seq": seq, "created_at": now, "created_by": actor.id,
            "updated_at": now, "updated_by": actor.id})
    else:
        store.update_record(op.record_id, data=stored, revision=revision,
                            deleted=int(action == "delete"), seq=seq,
                            updated_at=now, updated_by=actor.id)
    before = [] if current is None or current["deleted"] else _sums(spec, current["data"])
    after = [] if action == "delete" else _sums(spec, data)
    store.add_to_tallies(op.person_id, op.record_type, _difference(after, before))
    columns = spec.account_columns
    if columns and action != "delete":
        store.update_user(op.person_id, **{column: data[name] for name, column in columns.items()})
    return Outcome(status, op.record_id, revision, seq), (None if action == "delete" else data)


def _sums(spec: RecordType, data: dict) -> list[tuple[str, float, float]]:
    """What one live entry adds to its person's sums: (period, amount, verified). Every
    type counts its entries (a section's pages without counting them), and some keep
    their own sums (a day's hours)."""
    return [(ENTRY_COUNT, 1, 0), *(spec.tally(data) if spec.tally else ())]


def _difference(after: list[tuple[str, float, float]],
                before: list[tuple[str, float, float]]) -> dict[str, tuple[float, float]]:
    """What a write changes in its person's sums: after minus before, per period."""
    deltas: dict[str, list[float]] = {}
    for sign, contributions in ((1, after), (-1, before)):
        for period, amount, verified in contributions:
            delta = deltas.setdefault(period, [0.0, 0.0])
            delta[0] += sign * amount
            delta[1] += sign * verified
    return {period: (a, v) for period, (a, v) in deltas.items() if a or v}


# Bump when a record type's tally changes: the sums are then added up anew.
# 2: every type's entries are counted.
TALLY_VERSION = 2


def ensure_tallies(store: Store) -> None:
    """Add up every person's sums from their entries, once (a database made before the
    sums were kept, or after their rule changed); the write path keeps them after that."""
    if store.stamp("tallies") == TALLY_VERSION:
        return
    with store.transaction():
        if store.stamp("tallies") == TALLY_VERSION:
            return  # another server starting beside this one added them up meanwhile
        store.clear_tallies()
        for spec in RECORD_TYPES.values():
            for record in store.all_records(spec.name):
                store.add_to_tallies(record["person_id"], spec.name,
                                     _difference(_sums(spec, record["data"]), []))
        store.set_stamp("tallies", TALLY_VERSION)


def _judged(spec: RecordType, before: dict, proposed: dict, actor: Actor) -> dict:
    """A coach's verdict names the coach; changed hours need a new check, so a verdict
    goes back to its default (self-reported) when anyone else changes what it judged."""
    judgement = spec.judgement
    if judgement is None:
        return proposed
    if actor.role == "coach":
        if any(proposed.get(k) != before.get(k) for k in judgement.fields):
            return {**proposed, judgement.by: actor.id}
        return proposed
    if any(proposed.get(k) != before.get(k) for k in judgement.about):
        reset = {f.name: f.default for f in spec.fields if f.name in judgement.fields}
        return {**proposed, **reset, judgement.by: None}
    return proposed


def _keep_both(store: Store, actor: Actor, op: Operation, proposal: dict, current: dict,
               seen: dict, today: date,
               via: str | None = None) -> tuple[Outcome, dict | None]:
    """Store a stale operation (the fields its author changed) as a conflict next to
    the current version."""
    cleaned: dict = {}
    if op.action == "put":
        # Validate now, so an invalid stale edit is refused like any other.
        cleaned = validate(op.record_type, {**current["data"], **proposal},
                           _StoreContext(store, op.person_id), op.record_id, today)
    conflict_id = new_id()
    store.add_conflict({
        "id": conflict_id, "record_id": op.record_id, "person_id": op.person_id,
        "op_id": op.op_id, "actor_id": actor.id, "action": op.action,
        "base_revision": op.base_revision, "current_revision": current["revision"],
        "proposed": proposal, "created_at": utc_now(), "resolved_at": None,
        "resolved_by": None, "resolution": None})
    store.update_record(op.record_id, has_conflict=1)
    seq = store.append_history({
        "record_id": op.record_id, "person_id": op.person_id, "type": op.record_type,
        "revision": current["revision"], "action": "conflict", "data": current["data"],
        "changed": sorted(proposal), "actor_id": actor.id, "op_id": op.op_id,
        "at": utc_now(), "via": via})
    store.update_record(op.record_id, seq=seq)
    return (Outcome("conflict", op.record_id, current["revision"], seq, conflict_id),
            _seen_with(seen, cleaned, op, proposal))


def resolve(store: Store, actor: Actor, conflict_id: str, keep: str, op_id: str,
            *, today: date | None = None) -> Outcome:
    """Settle a conflict: ``keep`` is "current" or "proposed".

    Taking the proposed version is an ordinary put (or delete) on top of the
    current revision, so it is validated, versioned and logged like any edit;
    all of it happens in one transaction.
    """
    with store.transaction():
        conflict = store.conflict(conflict_id)
        if conflict is None or not can_see(store, actor, conflict["person_id"]):
            raise NotFound()
        done = store.operation(op_id)
        if done is not None:
            if done["actor_id"] != actor.id or done["person_id"] != conflict["person_id"]:
                raise Forbidden()  # someone replaying another user's operation
            return Outcome(**{**done["outcome"], "status": "duplicate"})
        if conflict["resolved_at"] is not None:
            raise NotFound()
        record = store.record(conflict["record_id"])
        spec = RECORD_TYPES[record["type"]]
        verdict = (conflict["action"] == "put" and bool(conflict["proposed"])
                   and set(conflict["proposed"]) <= spec.staff_fields)
        if actor.role == "coach" and not spec.staff_only and not verdict:
            # A coach settles only a clash with their own verdict, never the
            # person's own words: that choice is the person's.
            raise Forbidden()
        if keep not in ("current", "proposed") or not is_uuid(op_id):
            raise BadOperation()
        outcome = Outcome("applied", record["id"], record["revision"], record["seq"])
        if keep == "proposed":
            fields = conflict["proposed"] if conflict["action"] == "put" else {}
            op = Operation(op_id=op_id, person_id=conflict["person_id"],
                           record_type=record["type"], record_id=record["id"],
                           action=conflict["action"], base_revision=record["revision"],
                           fields=fields)
            _check_operation(op)
            outcome = _apply_locked(store, actor, op, today or clock.today())
        else:
            store.add_operation(op_id, actor.id, conflict["person_id"], record["id"],
                                outcome.as_dict())
        store.resolve_conflict(conflict_id, actor.id, keep)
        still_open = store.open_conflicts(conflict["person_id"], record["id"])
        # A settlement is a change too: it gets a change number, so phones pull it.
        current = record_view(store, store.record(record["id"]))
        seq = store.append_history({
            "record_id": current["id"], "person_id": current["person_id"],
            "type": current["type"], "revision": current["revision"], "action": "resolve",
            "data": current["data"], "changed": [], "actor_id": actor.id, "op_id": op_id,
            "at": utc_now()})
        store.update_record(record["id"], has_conflict=int(bool(still_open)), seq=seq)
    return outcome


def mark_reviewed(store: Store, actor: Actor, person_id: str) -> int:
    """Record that a coach has seen everything up to the newest change."""
    if actor.role != "coach" or not can_see(store, actor, person_id):
        raise NotFound()
    seq = store.last_seq(person_id)
    store.mark_reviewed(actor.id, person_id, seq)
    return seq


__all__ = ["Actor", "Operation", "Outcome", "apply", "apply_in_transaction", "resolve",
           "mark_reviewed", "can_see", "is_uuid", "new_id", "singleton_id", "WriteError",
           "Forbidden", "NotFound", "BadOperation", "ValidationFailed"]
