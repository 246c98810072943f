"""Property tests of the write path: several phones of one person, a hostile network.

Each example gets its own SQLite file. Phones create, edit and delete goals,
each remembering the revision it last saw (often stale); the network replays
earlier operations, sometimes with another user's credentials. A small model
predicts every outcome, and at the end: exactly once, nothing lost, conflicts
kept, gap-free history, and replaying everything again changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sync import accounts
from sync.store import Store, open_store
from sync.write import Actor, Forbidden, Operation, Outcome, apply, resolve
from tests.sync_fixtures import TODAY, count

NAMESPACE = uuid.UUID("0b5c6a52-1f7e-4d9e-8a43-2c1f4a7e9d30")
DEFAULTS = {"title": None, "description": None, "due": None, "status": "planned",
            "description_voice": None, "description_voice_summary": None}

optional_fields = st.fixed_dictionaries({}, optional={
    "title": st.sampled_from(["Nurse", "Welder", "Chef"]),
    "description": st.sampled_from(["Because", "ስለዝኾነ 🌱", "لأنني أحب ذلك"]),
    "due": st.sampled_from(["2026-05-01", "2026-06-30"]),
    "status": st.sampled_from(["planned", "in_progress", "done"]),
})
create_fields = st.builds(lambda title, rest: {**rest, "title": title},
                          st.sampled_from(["Nurse", "Welder", "Chef"]), optional_fields)
phone = st.integers(0, 1) | st.integers(0, 2)
pick = st.integers(0, 1000)
create = st.tuples(st.just("create"), phone, create_fields)
edit = st.tuples(st.just("edit"), phone, pick, optional_fields)
stale = st.tuples(st.just("stale"), phone, pick, optional_fields, st.integers(1, 3))
steps = st.lists(st.one_of(
    create, edit, stale, edit, stale,
    st.tuples(st.just("delete"), phone, pick),
    st.tuples(st.just("sync"), phone),
    st.tuples(st.just("replay"), pick),
    st.tuples(st.just("hostile_replay"), pick),
    st.tuples(st.just("resolve"), pick, st.sampled_from(["current", "proposed"])),
), min_size=3, max_size=30)
# Start with a few records every phone knows, so the phones soon step on each other's toes.
scripts = st.builds(lambda first, rest: [*first, ("sync", 0), ("sync", 1), ("sync", 2), *rest],
                    st.lists(create, min_size=1, max_size=3), steps)


@dataclass
class Model:
    """What the server should hold, per record."""

    revisions: dict[str, list[dict]] = field(default_factory=dict)  # data at 1..n
    deleted: dict[str, bool] = field(default_factory=dict)
    open_conflicts: dict[str, tuple[str, str, dict]] = field(default_factory=dict)

    def revision(self, record_id: str) -> int:
        return len(self.revisions[record_id])

    def current(self, record_id: str) -> dict:
        return self.revisions[record_id][-1]

    def authored(self, op: Operation) -> dict:
        """The fields the author changed: a stale edit's other fields are only what
        its author saw, and must not undo what someone else changed since."""
        if op.record_id not in self.revisions or op.base_revision == self.revision(op.record_id):
            return op.fields
        if self.deleted[op.record_id] or op.action == "delete":
            return op.fields
        seen = self.revisions[op.record_id][op.base_revision - 1]
        return {k: v for k, v in op.fields.items() if v != seen.get(k)}

    def expect(self, op: Operation) -> str:
        """The status the server must answer for a new operation."""
        if op.record_id not in self.revisions:
            return "applied"
        current, deleted = self.current(op.record_id), self.deleted[op.record_id]
        if op.base_revision == self.revision(op.record_id):
            return "applied"
        if deleted and op.action == "delete":
            return "applied"
        if deleted or op.action == "delete":
            return "conflict"
        seen = self.revisions[op.record_id][op.base_revision - 1]
        clash = any(seen.get(k) != current.get(k) and v != current.get(k)
                    for k, v in self.authored(op).items())
        return "conflict" if clash else "merged"

    def take(self, op: Operation, outcome: Outcome) -> None:
        """Follow the server: apply an applied or merged operation, keep a conflict."""
        fields = self.authored(op)
        if outcome.status == "conflict":
            self.open_conflicts[outcome.conflict_id] = (op.record_id, op.action, fields)
            return
        if op.record_id not in self.revisions:
            self.revisions[op.record_id] = [{**DEFAULTS, **fields}]
            self.deleted[op.record_id] = False
        elif op.action == "put":
            self.revisions[op.record_id].append({**self.current(op.record_id), **fields})
            self.deleted[op.record_id] = False
        elif not self.deleted[op.record_id]:
            self.revisions[op.record_id].append(self.current(op.record_id))
            self.deleted[op.record_id] = True


def snapshot(store: Store) -> tuple:
    """Everything a replay could possibly change."""
    return tuple(store.query(f"SELECT * FROM {table} ORDER BY 1, 2, 3")  # noqa: S608
                 for table in ("records", "history", "operations", "conflicts", "tallies"))


def run(store: Store, script: list) -> None:
    store.add_location("loc-a", "AZC A", "azc")
    person = Actor(accounts.create_user(store, role="refugee", username="amina",
                                        display_name="Amina", location_id="loc-a"), "refugee")
    coach = Actor(accounts.create_user(store, role="coach", username="coen",
                                       display_name="Coen", location_ids=["loc-a"]),
                  "coach", frozenset({"loc-a"}))
    ids = (str(uuid.uuid5(NAMESPACE, str(n))) for n in range(10_000))
    seen: list[dict[str, int]] = [{}, {}, {}]  # per phone: record id -> revision it saw
    model = Model()
    accepted: list[tuple[Operation, Outcome]] = []

    def send(op: Operation) -> Outcome:
        expected = model.expect(op)
        outcome = apply(store, person, op, today=TODAY)
        assert outcome.status == expected, (op, outcome)
        event(outcome.status)
        model.take(op, outcome)
        accepted.append((op, outcome))
        return outcome

    def known(phone_no: int, n: int) -> str | None:
        records = sorted(seen[phone_no])
        return records[n % len(records)] if records else None

    for step in script:
        kind = step[0]
        if kind == "create":
            _, p, fields = step
            op = Operation(next(ids), person.id, "goal", next(ids), "put", 0, fields)
            seen[p][op.record_id] = send(op).revision
        elif kind in ("edit", "stale", "delete"):
            p, n = step[1], step[2]
            record_id = known(p, n)
            if record_id is None:
                continue
            base = seen[p][record_id]
            if kind == "stale":  # an edit made on an old copy, whatever the phone saw
                base = max(1, model.revision(record_id) - step[4])
            action = "delete" if kind == "delete" else "put"
            fields = step[3] if kind != "delete" else {}
            op = Operation(next(ids), person.id, "goal", record_id, action, base, fields)
            seen[p][record_id] = send(op).revision
        elif kind == "sync":
            seen[step[1]] = {r["id"]: r["revision"]
                             for r in store.records(person.id, include_deleted=True)}
        elif kind in ("replay", "hostile_replay") and accepted:
            op, first = accepted[step[1] % len(accepted)]
            before = snapshot(store)
            if kind == "hostile_replay":
                try:
                    apply(store, coach, op, today=TODAY)
                except Forbidden:
                    pass
                else:
                    raise AssertionError("another user's replay was accepted")
            else:
                again = apply(store, person, op, today=TODAY)
                assert again == Outcome(**{**first.as_dict(), "status": "duplicate"})
            assert snapshot(store) == before
        elif kind == "resolve" and model.open_conflicts:
            conflict_id = sorted(model.open_conflicts)[step[1] % len(model.open_conflicts)]
            record_id, action, fields = model.open_conflicts.pop(conflict_id)
            keep = step[2]
            op_id = next(ids)
            outcome = resolve(store, person, conflict_id, keep, op_id, today=TODAY)
            if keep == "proposed":
                op = Operation(op_id, person.id, "goal", record_id, action,
                               model.revision(record_id), fields)
                model.take(op, outcome)
            assert outcome.revision == model.revision(record_id)
            assert store.conflict(conflict_id)["resolution"] == keep

    check_invariants(store, person, model, accepted)


def check_invariants(store: Store, person: Actor, model: Model,
                     accepted: list[tuple[Operation, Outcome]]) -> None:
    # Exactly once: every accepted operation is in the table once, and nothing else is.
    op_ids = [r["op_id"] for r in store.query("SELECT op_id FROM operations")]
    assert len(op_ids) == len(set(op_ids))
    assert {op.op_id for op, _ in accepted} <= set(op_ids)
    resolved = store.query("SELECT count(*) AS n FROM conflicts WHERE resolved_at IS NOT NULL")
    assert len(op_ids) == len(accepted) + resolved[0]["n"]

    # Nothing lost, nothing doubled: one record per id created.
    records = {r["id"]: r for r in store.records(person.id, include_deleted=True)}
    assert set(records) == set(model.revisions)
    assert count(store, "records") == len(model.revisions)

    for record_id, record in records.items():
        assert record["data"] == model.current(record_id)
        assert record["deleted"] == model.deleted[record_id]
        assert record["revision"] == model.revision(record_id)
        still_open = any(r == record_id for r, _, _ in model.open_conflicts.values())
        assert record["has_conflict"] == still_open
        # History: revisions 1..n without gaps; a conflict and a settlement repeat the
        # revision they met.
        history = store.history(record_id)
        versions = [h for h in history if h["action"] not in ("conflict", "resolve")]
        assert [h["revision"] for h in versions] == list(range(1, record["revision"] + 1))
        assert [h["data"] for h in versions] == model.revisions[record_id]
        last = 0
        for h in history:
            assert h["revision"] == last + (h["action"] not in ("conflict", "resolve"))
            last = h["revision"]

    # The kept counts of entries are the live records, type by type (and the
    # replayed writes below leave them so: the snapshot includes the sums).
    live: dict[str, int] = {}
    for record in records.values():
        if not record["deleted"]:
            live[record["type"]] = live.get(record["type"], 0) + 1
    assert store.count_records(person.id) == live

    # Conflicts keep the losing change whole: every field its author changed.
    for op, outcome in accepted:
        if outcome.status == "conflict":
            stored = store.conflict(outcome.conflict_id)
            assert stored["op_id"] == op.op_id
            assert stored["proposed"].items() <= op.fields.items()
            if outcome.conflict_id in model.open_conflicts:
                assert stored["proposed"] == model.open_conflicts[outcome.conflict_id][2]
    assert {c["id"] for c in store.open_conflicts(person.id)} == set(model.open_conflicts)

    # Change numbers follow the order of the changes: no record's revision goes back.
    revisions: dict[str, list[int]] = {}
    for row in store.query("SELECT record_id, revision FROM history ORDER BY seq"):
        revisions.setdefault(row["record_id"], []).append(row["revision"])
    assert all(r == sorted(r) for r in revisions.values()), revisions

    # Replaying everything again, in reverse, changes nothing.
    before = snapshot(store)
    for op, outcome in reversed(accepted):
        again = apply(store, person, op, today=TODAY)
        assert again == Outcome(**{**outcome.as_dict(), "status": "duplicate"})
    assert snapshot(store) == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts)
def test_phones_and_replays_converge_without_losing_anything(make_database, script):
    store = open_store(make_database())
    try:
        run(store, script)
    finally:
        store.close()
