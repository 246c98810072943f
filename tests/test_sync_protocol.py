"""Unit tests of the sync protocol (push, pull, saved outbox files) on real SQLite files."""

from __future__ import annotations

import json

import pytest

from sync import device_keys, protocol
from sync.protocol import BadPayload, operations_from, parse_operation, pull, push
from sync.store import open_store
from sync.write import BadOperation, NotFound, Operation, new_id, resolve, singleton_id
from tests.sync_fixtures import TODAY, add_people, count, delete, hours, put


@pytest.fixture
def core(database):
    """A fresh database with the people of ``sync_fixtures``."""
    store = open_store(database)
    people = add_people(store)
    yield store, people
    store.close()


def raw_op(person_id, record_type="goal", *, record_id=None, action="put", base=0,
           fields=None, op_id=None):
    """An operation as the phone sends it (JSON-shaped, with the phone's extra keys)."""
    return {"op_id": op_id or new_id(), "device_seq": 1, "person_id": person_id,
            "record_type": record_type, "record_id": record_id or new_id(), "action": action,
            "base_revision": base,
            "fields": {"title": "Nurse"} if fields is None else fields}


def state(store):
    """Everything a push could change."""
    return tuple(store.query(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608
                 for table in ("records", "history", "operations", "conflicts"))


# -- parse_operation -------------------------------------------------------------------


def test_parse_operation_reads_a_phone_operation():
    raw = raw_op("0b5c6a52-1f7e-4d9e-8a43-2c1f4a7e9d30", fields={"title": "Chef", "due": None})
    op = parse_operation(raw)
    assert op == Operation(op_id=raw["op_id"], person_id=raw["person_id"], record_type="goal",
                           record_id=raw["record_id"], action="put", base_revision=0,
                           fields={"title": "Chef", "due": None})


def test_parse_operation_without_fields_means_no_fields():
    raw = raw_op(new_id(), action="delete", base=3)
    del raw["fields"]
    assert parse_operation(raw).fields == {}


def test_parse_operation_accepts_values_at_the_limits():
    fields = {f"f{n}": "x" for n in range(protocol.MAX_FIELDS - 2)}
    fields["long"] = "a" * protocol.MAX_VALUE_LENGTH
    fields["list"] = ["y" * 200] * 50
    assert parse_operation(raw_op(new_id(), fields=fields)).fields == fields


def _without(key):
    def change(raw):
        del raw[key]
    return change


def _set(key, value):
    def change(raw):
        raw[key] = value
    return change


BAD_SHAPES = {
    "op_id missing": _without("op_id"),
    "op_id a number": _set("op_id", 12),
    "person_id null": _set("person_id", None),
    "record_id a list": _set("record_id", ["x"]),
    "action a number": _set("action", 1),
    "record_type unknown": _set("record_type", "passport"),
    "record_type a number": _set("record_type", 7),
    "base_revision missing": _without("base_revision"),
    "base_revision a string": _set("base_revision", "1"),
    "base_revision a float": _set("base_revision", 1.0),
    "base_revision true": _set("base_revision", True),
    "fields a list": _set("fields", [["title", "Chef"]]),
    "fields a string": _set("fields", "title=Chef"),
    "too many fields": _set("fields", {f"f{n}": "x" for n in range(protocol.MAX_FIELDS + 1)}),
    "a value too long": _set("fields", {"title": "a" * (protocol.MAX_VALUE_LENGTH + 1)}),
    "a value an object": _set("fields", {"title": {"nl": "Kok"}}),
    "a list too long": _set("fields", {"regions": ["utrecht"] * 51}),
    "a list of numbers": _set("fields", {"regions": [1, 2]}),
    "a list item too long": _set("fields", {"regions": ["u" * 201]}),
    "a nested list": _set("fields", {"regions": [["utrecht"]]}),
}


@pytest.mark.parametrize("change", BAD_SHAPES.values(), ids=BAD_SHAPES.keys())
def test_parse_operation_refuses_bad_shapes(change):
    raw = raw_op(new_id())
    change(raw)
    with pytest.raises(BadOperation):
        parse_operation(raw)


@pytest.mark.parametrize("raw", [None, [], "op", 3, ["op_id"]])
def test_parse_operation_refuses_what_is_not_an_object(raw):
    with pytest.raises(BadOperation):
        parse_operation(raw)


# -- operations_from ---------------------------------------------------------------------


@pytest.mark.parametrize("payload", [None, [], "x", {"ops": []}, {"operations": {}},
                                     {"operations": "[]"}, {"operations": None}])
def test_operations_from_refuses_other_shapes(payload):
    with pytest.raises(BadPayload) as raised:
        operations_from(payload)
    assert raised.value.message == "The data is not in the expected format."


def test_operations_from_limits_the_batch():
    ops = [{}] * (protocol.MAX_OPERATIONS + 1)
    with pytest.raises(BadPayload) as raised:
        operations_from({"operations": ops})
    assert raised.value.message.plural == "Send at most %(max)s changes at once."
    assert raised.value.params == {"max": 200}
    assert raised.value.params == {"max": protocol.MAX_OPERATIONS}
    assert len(operations_from({"operations": ops[1:]})) == protocol.MAX_OPERATIONS


# -- push --------------------------------------------------------------------------------


def test_push_answers_each_operation_in_order(core):
    store, people = core
    first = raw_op(people.amina.id)
    ops = [first,
           raw_op(people.amina.id, record_id=first["record_id"], base=1,
                  fields={"status": "done"}),
           raw_op(people.amina.id, record_id=first["record_id"], action="delete", base=2,
                  fields={})]
    results = push(store, people.amina, ops, today=TODAY)
    assert [(r["op_id"], r["status"], r["revision"]) for r in results] == [
        (ops[0]["op_id"], "applied", 1), (ops[1]["op_id"], "applied", 2),
        (ops[2]["op_id"], "applied", 3)]
    assert store.record(first["record_id"])["deleted"] is True


def test_a_rejected_operation_does_not_block_the_ones_after_it(core):
    store, people = core
    ops = [raw_op(people.amina.id), raw_op(people.amina.id, fields={"title": ""}),
           "garbage", raw_op(people.amina.id, "passport"), raw_op(people.amina.id)]
    results = push(store, people.amina, ops, today=TODAY)
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "rejected",
                                              "applied"]
    assert results[1]["message"] == ("Some answers are not valid.", {})
    assert results[1]["errors"] == {"title": ("This field is required", {})}
    assert results[2]["op_id"] is None
    assert results[3]["message"] == ("This change is not valid", {})
    assert count(store, "records") == 2
    assert count(store, "operations") == 2


def test_pushing_the_same_batch_again_changes_nothing(core):
    store, people = core
    goal = raw_op(people.amina.id)
    ops = [goal, raw_op(people.amina.id, record_id=goal["record_id"], base=1,
                        fields={"title": "Welder"})]
    first = push(store, people.amina, ops, today=TODAY)
    before = state(store)
    again = push(store, people.amina, ops, today=TODAY)
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert [{**r, "status": None} for r in again] == [{**r, "status": None} for r in first]
    assert state(store) == before


def test_push_refuses_another_persons_profile_and_replays_of_another_user(core):
    store, people = core
    mine = raw_op(people.amina.id)
    push(store, people.amina, [mine], today=TODAY)
    before = state(store)
    results = push(store, people.bilal, [raw_op(people.amina.id), mine], today=TODAY)
    assert [(r["status"], r["message"]) for r in results] == [
        ("rejected", ("This entry does not exist", {})),
        ("rejected", ("You are not allowed to change this", {}))]
    assert state(store) == before


def test_push_with_only_person_refuses_operations_for_someone_else(core):
    store, people = core
    results = push(store, people.volunteer, [raw_op(people.bilal.id)], today=TODAY,
                   only_person=people.amina.id)
    assert results[0]["status"] == "rejected"
    assert count(store, "records") == 0


def test_push_takes_unsigned_operations_and_ignores_signature_keys(core):
    store, people = core
    ops = [raw_op(people.amina.id),
           {**raw_op(people.amina.id), "signed": "{}", "sig": "nonsense", "key_id": "x"}]
    results = push(store, people.amina, ops, today=TODAY)
    assert [r["status"] for r in results] == ["applied", "applied"]


def test_push_notes_who_delivered_the_operations(core):
    store, people = core
    op = raw_op(people.amina.id)
    push(store, people.amina, [op], today=TODAY, via=people.coach.id)
    (entry,) = store.history(op["record_id"])
    assert (entry["actor_id"], entry["via"]) == (people.amina.id, people.coach.id)


def chained(person_id, goal, base, after, fields, action="put"):
    """An edit made on a phone on top of its own earlier edit (``after``)."""
    op = raw_op(person_id, record_id=goal["record_id"], base=base, fields=fields,
                action=action)
    return {**op, "after": after["op_id"]}


def test_a_devices_own_chained_edits_never_conflict_with_each_other(core):
    store, people = core
    goal = raw_op(people.amina.id)
    push(store, people.amina, [goal], today=TODAY)
    # Another phone changes the description while this one is offline...
    push(store, people.amina, [raw_op(people.amina.id, record_id=goal["record_id"], base=1,
                                      fields={"description": "Because"})], today=TODAY)
    # ...where the person renames the goal twice, the second time after the first.
    first = raw_op(people.amina.id, record_id=goal["record_id"], base=1,
                   fields={"title": "Chef"})
    second = chained(people.amina.id, goal, 1, first, {"title": "Welder"})
    results = push(store, people.amina, [first, second], today=TODAY)
    assert [r["status"] for r in results] == ["merged", "merged"]
    data = store.record(goal["record_id"])["data"]
    assert (data["title"], data["description"]) == ("Welder", "Because")
    assert store.open_conflicts(people.amina.id) == []


def test_a_chained_edit_after_an_applied_edit_is_applied(core):
    store, people = core
    goal = raw_op(people.amina.id)
    first = chained(people.amina.id, goal, 0, goal, {"title": "Chef"})
    second = chained(people.amina.id, goal, 0, first, {"title": "Welder"})
    results = push(store, people.amina, [goal, first, second], today=TODAY)
    assert [(r["status"], r["revision"]) for r in results] == [
        ("applied", 1), ("applied", 2), ("applied", 3)]


def renamed_then_changed_elsewhere(store, people, fields):
    """A goal this phone renamed (its acknowledged edit ``first``), then changed by
    another device at revision 3; returns (goal, first)."""
    goal = raw_op(people.amina.id)
    first = raw_op(people.amina.id, record_id=goal["record_id"], base=1,
                   fields={"title": "Chef"})
    push(store, people.amina, [goal, first], today=TODAY)
    push(store, people.amina, [raw_op(people.amina.id, record_id=goal["record_id"], base=2,
                                      fields=fields)], today=TODAY)
    return goal, first


def test_an_edit_from_a_page_that_does_not_show_the_phones_last_change_yet(core):
    store, people = core
    # The person's other phone adds a description; this phone's kept page shows revision 1.
    goal, first = renamed_then_changed_elsewhere(store, people, {"description": "Because"})
    results = push(store, people.amina,
                   [chained(people.amina.id, goal, 1, first, {"title": "Welder"})], today=TODAY)
    assert results[0]["status"] == "merged"
    assert store.record(goal["record_id"])["data"]["title"] == "Welder"
    assert store.open_conflicts(people.amina.id) == []


def test_a_base_newer_than_the_chained_edit_wins(core):
    store, people = core
    # Another phone renames it; this phone has seen that (its page shows revision 3)...
    goal, first = renamed_then_changed_elsewhere(store, people, {"title": "Nurse"})
    # ...so renaming it again is an edit of what the person saw, not a clash.
    results = push(store, people.amina,
                   [chained(people.amina.id, goal, 3, first, {"title": "Welder"})], today=TODAY)
    assert (results[0]["status"], results[0]["revision"]) == ("applied", 4)


def test_a_chained_edit_after_a_conflict_keeps_clashing_with_the_other_version(core):
    store, people = core
    goal = raw_op(people.amina.id)
    push(store, people.amina, [goal], today=TODAY)
    push(store, people.amina, [raw_op(people.amina.id, record_id=goal["record_id"], base=1,
                                      fields={"title": "Cook"})], today=TODAY)
    first = raw_op(people.amina.id, record_id=goal["record_id"], base=1,
                   fields={"title": "Chef"})
    same_field = chained(people.amina.id, goal, 1, first, {"title": "Welder"})
    other_field = chained(people.amina.id, goal, 1, same_field, {"description": "Because"})
    results = push(store, people.amina, [first, same_field, other_field], today=TODAY)
    assert [r["status"] for r in results] == ["conflict", "conflict", "merged"]
    data = store.record(goal["record_id"])["data"]
    assert (data["title"], data["description"]) == ("Cook", "Because")
    assert len(store.open_conflicts(people.amina.id)) == 2


def test_a_chained_edit_after_a_refused_edit_is_judged_by_its_base(core):
    store, people = core
    goal = raw_op(people.amina.id)
    push(store, people.amina, [goal], today=TODAY)
    refused = raw_op(people.amina.id, record_id=goal["record_id"], base=1,
                     fields={"title": ""})
    second = chained(people.amina.id, goal, 1, refused, {"description": "Because"})
    results = push(store, people.amina, [refused, second], today=TODAY)
    assert [r["status"] for r in results] == ["rejected", "applied"]


def test_a_chain_through_someone_elses_change_is_refused(core):
    store, people = core
    goal = raw_op(people.amina.id)
    other = raw_op(people.amina.id)
    push(store, people.amina, [goal, other], today=TODAY)
    before = state(store)
    results = push(store, people.amina,
                   [chained(people.amina.id, goal, 1, other, {"title": "Chef"})], today=TODAY)
    assert results[0]["status"] == "rejected"
    assert state(store) == before


@pytest.mark.parametrize("after", ["not-a-uuid", 7, ["x"], "SELF"])
def test_a_malformed_chain_is_refused(core, after):
    store, people = core
    goal = raw_op(people.amina.id)
    push(store, people.amina, [goal], today=TODAY)
    before = state(store)
    op = raw_op(people.amina.id, record_id=goal["record_id"], base=1, fields={"title": "Chef"})
    op["after"] = op["op_id"] if after == "SELF" else after
    assert push(store, people.amina, [op], today=TODAY)[0]["status"] == "rejected"
    assert state(store) == before


# -- pull --------------------------------------------------------------------------------


def test_pull_returns_what_changed_after_the_cursor(core):
    store, people = core
    goal = put(store, people.amina, people.amina, "goal", {"title": "Nurse"})
    first = pull(store, people.amina, people.amina.id, 0)
    assert [r["id"] for r in first["records"]] == [goal.record_id]
    assert first["cursor"] == goal.seq
    skill = put(store, people.amina, people.amina, "goal", {"title": "Chef"})
    second = pull(store, people.amina, people.amina.id, first["cursor"])
    assert [(r["id"], r["revision"], r["data"]["title"]) for r in second["records"]] == [
        (skill.record_id, 1, "Chef")]
    assert second["cursor"] == skill.seq > first["cursor"]


def test_pull_includes_deleted_records_as_tombstones(core):
    store, people = core
    goal = put(store, people.amina, people.amina, "goal", {"title": "Nurse"})
    cursor = pull(store, people.amina, people.amina.id, 0)["cursor"]
    gone = delete(store, people.amina, people.amina, "goal", goal.record_id, 1)
    (tombstone,) = pull(store, people.amina, people.amina.id, cursor)["records"]
    assert (tombstone["id"], tombstone["deleted"], tombstone["revision"], tombstone["seq"]) \
        == (goal.record_id, True, 2, gone.seq)


def test_pull_brings_a_coachs_comment_and_verdict_to_the_phone(core):
    store, people = core
    worked = put(store, people.amina, people.amina, "volunteer", hours())
    cursor = pull(store, people.amina, people.amina.id, 0)["cursor"]
    comment = put(store, people.coach, people.amina, "comment",
                  {"record_id": worked.record_id, "body": "Well done"})
    put(store, people.coach, people.amina, "volunteer", {"status": "verified"},
        record_id=worked.record_id, base=1)
    changes = pull(store, people.amina, people.amina.id, cursor)
    by_id = {r["id"]: r for r in changes["records"]}
    assert by_id[comment.record_id]["type"] == "comment"
    assert by_id[comment.record_id]["data"]["body"] == "Well done"
    assert by_id[comment.record_id]["updated_by"] == people.coach.id
    assert by_id[worked.record_id]["data"]["status"] == "verified"
    assert by_id[worked.record_id]["revision"] == 2
    assert [r["seq"] for r in changes["records"]] == sorted(r["seq"] for r in changes["records"])


def test_pull_lists_open_conflicts_and_flags_the_record(core):
    store, people = core
    goal = put(store, people.amina, people.amina, "goal", {"title": "Nurse"})
    put(store, people.amina, people.amina, "goal", {"title": "Chef"},
        record_id=goal.record_id, base=1)
    cursor = pull(store, people.amina, people.amina.id, 0)["cursor"]
    clash = put(store, people.amina, people.amina, "goal", {"title": "Welder"},
                record_id=goal.record_id, base=1)
    assert clash.status == "conflict"
    changes = pull(store, people.amina, people.amina.id, cursor)
    (record,) = changes["records"]
    assert record["has_conflict"] is True and record["data"]["title"] == "Chef"
    assert changes["conflicts"] == [{"id": clash.conflict_id, "record_id": goal.record_id,
                                     "action": "put", "proposed": {"title": "Welder"}}]
    assert changes["cursor"] == clash.seq


def test_pull_after_a_conflict_is_settled_shows_the_record_without_conflict(core):
    store, people = core
    goal = put(store, people.amina, people.amina, "goal", {"title": "Nurse"})
    put(store, people.amina, people.amina, "goal", {"title": "Chef"},
        record_id=goal.record_id, base=1)
    clash = put(store, people.amina, people.amina, "goal", {"title": "Welder"},
                record_id=goal.record_id, base=1)
    cursor = pull(store, people.amina, people.amina.id, 0)["cursor"]
    resolve(store, people.amina, clash.conflict_id, "current", new_id(), today=TODAY)
    changes = pull(store, people.amina, people.amina.id, cursor)
    assert [(r["id"], r["has_conflict"]) for r in changes["records"]] == [
        (goal.record_id, False)]


def test_an_empty_pull_keeps_the_cursor(core):
    store, people = core
    put(store, people.amina, people.amina, "goal", {"title": "Nurse"})
    cursor = pull(store, people.amina, people.amina.id, 0)["cursor"]
    assert pull(store, people.amina, people.amina.id, cursor) == {
        "cursor": cursor, "records": [], "conflicts": []}
    # A cursor from the future (another database restored?) is not moved back either.
    assert pull(store, people.amina, people.amina.id, cursor + 1000)["cursor"] == cursor + 1000


def test_the_cursor_never_goes_backwards_and_misses_nothing(core):
    store, people = core
    cursor, seen = 0, {}
    goals = []
    for n in range(12):
        if n % 3 == 0 or not goals:
            goals.append(put(store, people.amina, people.amina, "goal", {"title": "Nurse"}))
        else:
            goal = goals[n % len(goals)]
            revision = store.record(goal.record_id)["revision"]
            put(store, people.amina, people.amina, "goal", {"status": "done"},
                record_id=goal.record_id, base=revision)
        # Someone else's profile changes too: never in Amina's pull.
        put(store, people.bilal, people.bilal, "goal", {"title": "Chef"})
        changes = pull(store, people.amina, people.amina.id, cursor)
        assert changes["cursor"] >= cursor
        cursor = changes["cursor"]
        for record in changes["records"]:
            seen[record["id"]] = record["revision"]
    assert seen == {r["id"]: r["revision"] for r in store.records(people.amina.id)}
    assert cursor == store.last_seq(people.amina.id)


def test_pull_of_someone_else_is_not_found(core):
    store, people = core
    for actor in (people.bilal, people.coach_b, people.volunteer_b, people.admin):
        with pytest.raises(NotFound):
            pull(store, actor, people.amina.id, 0)
    with pytest.raises(NotFound):
        pull(store, people.amina, new_id(), 0)


def test_pull_refuses_a_negative_cursor(core):
    store, people = core
    with pytest.raises(BadOperation):
        pull(store, people.amina, people.amina.id, -1)


def test_staff_of_the_place_pull_the_profile(core):
    store, people = core
    goal = put(store, people.amina, people.amina, "goal", {"title": "Nurse"})
    for actor in (people.coach, people.volunteer):
        assert [r["id"] for r in pull(store, actor, people.amina.id, 0)["records"]] \
            == [goal.record_id]


# -- saved outbox files ------------------------------------------------------------------


def outbox_file(user_id, operations):
    return json.dumps({"format": protocol.FORMAT, "version": 1, "user_id": user_id,
                       "device_id": new_id(), "operations": operations}).encode()


@pytest.mark.parametrize("content", [
    b"", b"not json", b"\xff\xfe", b"[]", b'{"format": "talentkaart-outbox"}',
    b'{"format": "other", "user_id": "x", "operations": []}',
    b'{"format": "talentkaart-outbox", "user_id": 5, "operations": []}',
    b"[" * 100_000,  # nested deeper than the parser goes
])
def test_read_outbox_file_refuses_other_files(content):
    with pytest.raises(BadPayload) as raised:
        protocol.read_outbox_file(content)
    assert raised.value.message == "This is not a file with saved Talentkaart changes"


def test_read_outbox_file_refuses_a_huge_file():
    with pytest.raises(BadPayload) as raised:
        protocol.read_outbox_file(b" " * (5 * 1024 * 1024 + 1))
    assert raised.value.message == "What you sent is too large."


def phone_key(store, person):
    """The signing key a phone of ``person`` got when they signed in on it."""
    return device_keys.issue_key(store, person.id, new_id())


def signed_with(key, op):
    """``op`` as the phone keeps it once signed: the exact JSON text, its HMAC, the key."""
    text = json.dumps(op)
    return {**op, "signed": text, "sig": device_keys.sign(key["secret"], text),
            "key_id": key["key_id"]}


def test_upload_by_a_coach_applies_the_persons_signed_changes_in_their_name(core):
    store, people = core
    key = phone_key(store, people.amina)
    basics_id = singleton_id(people.amina.id, "basics")
    ops = [signed_with(key, raw_op(people.amina.id, fields={"title": "Nurse"})),
           signed_with(key, raw_op(people.amina.id, "basics", record_id=basics_id, fields={
               "display_name": "Amina", "preferred_language": "nl", "location_id": "loc-a",
               "residence": "asylum_seeker", "procedure_start": "2025-09-01"}))]
    payload = protocol.read_outbox_file(outbox_file(people.amina.id, ops))
    results = protocol.upload(store, people.coach, people.amina.id, payload, today=TODAY)
    assert [r["status"] for r in results] == ["applied", "applied"]
    for op in ops:
        (entry,) = store.history(op["record_id"])
        assert (entry["actor_id"], entry["via"]) == (people.amina.id, people.coach.id)
    again = protocol.upload(store, people.coach, people.amina.id, payload, today=TODAY)
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]


def test_an_upload_applies_what_the_phone_signed_not_the_copy_beside_it(core):
    store, people = core
    op = signed_with(phone_key(store, people.amina), raw_op(people.amina.id))
    op["fields"] = {"title": "Surgeon"}  # edited in the file; the signed text says Nurse
    payload = protocol.read_outbox_file(outbox_file(people.amina.id, [op]))
    results = protocol.upload(store, people.coach, people.amina.id, payload, today=TODAY)
    assert [r["status"] for r in results] == ["applied"]
    assert store.record(op["record_id"])["data"]["title"] == "Nurse"


def _edited_after_signing(store, people, key):
    op = signed_with(key, raw_op(people.amina.id))
    return [{**op, "signed": op["signed"].replace("Nurse", "Surgeon")}]


def _signature_of_other_content(store, people, key):
    op, other = raw_op(people.amina.id), raw_op(people.amina.id)
    return [{**signed_with(key, op), "sig": signed_with(key, other)["sig"]}]


def _revoked(store, people, key):
    store.revoke_device_key(key["key_id"])
    return [signed_with(key, raw_op(people.amina.id))]


def _with(**changes):
    """A correctly signed operation with some signature keys replaced (None: removed)."""
    def forge(store, people, key):
        op = signed_with(key, raw_op(people.amina.id))
        return [{k: v for k, v in {**op, **changes}.items() if v is not None}]
    return forge


FORGERIES = {
    "unsigned": lambda store, people, key: [raw_op(people.amina.id)],
    "signed string edited after signing": _edited_after_signing,
    "signature over other content": _signature_of_other_content,
    "the coach's own key": lambda store, people, key: [
        signed_with(phone_key(store, people.coach), raw_op(people.amina.id))],
    "another refugee's key": lambda store, people, key: [
        signed_with(phone_key(store, people.bilal), raw_op(people.amina.id))],
    "a revoked key": _revoked,
    "an unknown key_id": _with(key_id=new_id()),
    "no key_id": _with(key_id=None),
    "no signature": _with(sig=None),
    "a signature that is not hex": _with(sig="z" * 64),
    "a signature too short": _with(sig="0" * 62),
    "a signature too long": _with(sig="0" * 66),
    "a signature that is a number": _with(sig=12),
    "signed text that is an object": _with(signed={"title": "Nurse"}),
    "signed and unsigned mixed": lambda store, people, key: [
        signed_with(key, raw_op(people.amina.id)), raw_op(people.amina.id)],
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES)
def test_a_carried_file_the_persons_phone_did_not_sign_changes_nothing(core, forge):
    store, people = core
    goal = raw_op(people.amina.id)
    push(store, people.amina, [goal], today=TODAY)
    ops = forge(store, people, phone_key(store, people.amina))
    payload = protocol.read_outbox_file(outbox_file(people.amina.id, ops))
    before = state(store)
    with pytest.raises(BadPayload) as raised:
        protocol.upload(store, people.coach, people.amina.id, payload, today=TODAY)
    assert raised.value.message == protocol.NOT_SIGNED
    assert state(store) == before


def test_the_persons_own_unsigned_file_is_still_accepted_from_them(core):
    store, people = core
    payload = protocol.read_outbox_file(outbox_file(people.amina.id, [raw_op(people.amina.id)]))
    results = protocol.upload(store, people.amina, people.amina.id, payload, today=TODAY)
    assert [r["status"] for r in results] == ["applied"]


def test_upload_of_a_file_made_by_someone_else_is_refused(core):
    store, people = core
    payload = protocol.read_outbox_file(outbox_file(people.volunteer.id,
                                                    [raw_op(people.amina.id)]))
    with pytest.raises(BadPayload) as raised:
        protocol.upload(store, people.coach, people.amina.id, payload, today=TODAY)
    assert raised.value.message.startswith("These changes were made by someone else.")
    assert count(store, "records") == 0


def test_upload_for_a_person_one_may_not_see_is_not_found(core):
    store, people = core
    payload = protocol.read_outbox_file(outbox_file(people.amina.id, [raw_op(people.amina.id)]))
    with pytest.raises(NotFound):
        protocol.upload(store, people.coach_b, people.amina.id, payload, today=TODAY)


def test_upload_applies_only_the_operations_of_that_person(core):
    store, people = core
    ops = [raw_op(people.amina.id), raw_op(people.bilal.id)]
    payload = protocol.read_outbox_file(outbox_file(people.volunteer.id, ops))
    results = protocol.upload(store, people.volunteer, people.amina.id, payload, today=TODAY)
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert store.records(people.bilal.id) == []
