"""The write path on a real SQLite file: revisions, history, replays, merges, conflicts."""

from __future__ import annotations

import pytest

from sync.records import ValidationFailed
from sync.store import SCHEMA_VERSION, open_store
from sync.write import (
    BadOperation,
    Forbidden,
    NotFound,
    Operation,
    apply,
    ensure_tallies,
    mark_reviewed,
    new_id,
    resolve,
    singleton_id,
)
from tests.sync_fixtures import TODAY, add_people, basics, count, delete, hours, put


@pytest.fixture
def store(database):
    store = open_store(database)
    yield store
    store.close()


@pytest.fixture
def people(store):
    return add_people(store)


@pytest.fixture
def entry(store, people):
    """Amina's volunteer entry at revision 1."""
    outcome = put(store, people.amina, people.amina, "volunteer", hours())
    return outcome.record_id


def edit(store, actor, record_id, base, fields, *, person=None, op_id=None,
         record_type="volunteer"):
    return put(store, actor, person or store.record(record_id)["person_id"], record_type,
               fields, record_id=record_id, base=base, op_id=op_id)


# -- create, update, delete ---------------------------------------------------


def test_create_applies_revision_one_with_history(store, people):
    outcome = put(store, people.amina, people.amina, "volunteer", hours(amount="1,5"))
    assert (outcome.status, outcome.revision) == ("applied", 1)
    record = store.record(outcome.record_id)
    assert record["data"] == {"date": "2026-03-01", "organisation": "Voedselbank",
                              "activity": "Sorting food", "hours": 1.5, "status_by": None,
                              "status": "self_reported", "status_reason": None,
                              "files": None}
    assert (record["revision"], record["deleted"], record["created_by"]) == (
        1, False, people.amina.id)
    [entry] = store.history(outcome.record_id)
    assert (entry["revision"], entry["action"], entry["actor_id"]) == (1, "create",
                                                                       people.amina.id)
    assert entry["changed"] == ["activity", "date", "hours", "organisation", "status"]
    assert entry["seq"] == outcome.seq == record["seq"]
    assert entry["at"].startswith("20")


def test_update_records_who_and_what_changed(store, people, entry):
    outcome = edit(store, people.amina, entry, 1, {"hours": 3})
    assert (outcome.status, outcome.revision) == ("applied", 2)
    assert store.record(entry)["data"]["hours"] == 3.0
    assert store.record(entry)["updated_by"] == people.amina.id
    last = store.history(entry)[-1]
    assert (last["revision"], last["action"], last["changed"]) == (2, "update", ["hours"])
    assert last["data"]["hours"] == 3.0


def test_delete_keeps_data_and_hides_the_record(store, people, entry):
    outcome = delete(store, people.amina, people.amina, "volunteer", entry, 1)
    assert (outcome.status, outcome.revision) == ("applied", 2)
    record = store.record(entry)
    assert record["deleted"] is True
    assert record["data"]["organisation"] == "Voedselbank"
    assert store.records(people.amina.id, "volunteer") == []
    assert [h["action"] for h in store.history(entry)] == ["create", "delete"]


def test_put_at_current_revision_brings_a_deleted_record_back(store, people, entry):
    delete(store, people.amina, people.amina, "volunteer", entry, 1)
    outcome = edit(store, people.amina, entry, 2, {"hours": 4})
    assert (outcome.status, outcome.revision) == ("applied", 3)
    assert store.record(entry)["deleted"] is False
    assert store.record(entry)["data"]["hours"] == 4.0


def test_entry_counts_follow_creates_deletes_and_returns(store, people, entry):
    put(store, people.amina, people.amina, "volunteer", hours(day="2026-03-02"))
    assert store.count_records(people.amina.id) == {"volunteer": 2}
    delete(store, people.amina, people.amina, "volunteer", entry, 1)
    delete(store, people.amina, people.amina, "volunteer", entry, 2)  # deleting again
    assert store.count_records(people.amina.id) == {"volunteer": 1}
    edit(store, people.amina, entry, 2, {"hours": 4})  # back again
    edit(store, people.amina, entry, 3, {"hours": 5})  # an edit counts nothing
    assert store.count_records(people.amina.id) == {"volunteer": 2}


def test_sums_of_a_database_kept_before_counts_are_added_up_once(store, people, entry):
    put(store, people.amina, people.amina, "skill", {"free_text": "Koken", "level": "3",
                                                      "learned": "work"})
    kept = store.query("SELECT * FROM tallies ORDER BY 1, 2, 3")
    # As a database of the version before counts left them: no counts, version 1.
    store.execute("DELETE FROM tallies WHERE period = 'count'")
    store.set_stamp("tallies", 1)
    ensure_tallies(store)
    assert store.query("SELECT * FROM tallies ORDER BY 1, 2, 3") == kept
    assert store.count_records(people.amina.id) == {"volunteer": 1, "skill": 1}


def test_delete_of_an_already_deleted_record_is_fine(store, people, entry):
    delete(store, people.amina, people.amina, "volunteer", entry, 1)
    again = delete(store, people.amina, people.amina, "volunteer", entry, 2)
    stale = delete(store, people.amina, people.amina, "volunteer", entry, 1)
    assert (again.status, again.revision) == ("applied", 2)
    assert (stale.status, stale.revision) == ("applied", 2)
    assert len(store.history(entry)) == 2
    assert store.open_conflicts(people.amina.id) == []


def test_delete_of_an_unknown_record_is_not_found(store, people):
    with pytest.raises(NotFound):
        delete(store, people.amina, people.amina, "volunteer", new_id(), 1)


# -- exactly once -------------------------------------------------------------


def test_same_op_id_twice_gives_one_record_and_a_duplicate(store, people):
    op_id, record_id = new_id(), new_id()
    first = put(store, people.amina, people.amina, "volunteer", hours(), record_id=record_id,
                op_id=op_id)
    second = put(store, people.amina, people.amina, "volunteer", hours(), record_id=record_id,
                 op_id=op_id)
    assert first.status == "applied"
    assert second.status == "duplicate"
    assert (second.revision, second.seq, second.record_id) == (1, first.seq, record_id)
    assert len(store.records(people.amina.id)) == 1
    assert count(store, "history") == 1
    assert count(store, "operations") == 1


def test_replaying_an_edit_after_later_edits_changes_nothing(store, people, entry):
    op_id = new_id()
    edit(store, people.amina, entry, 1, {"hours": 3}, op_id=op_id)
    edit(store, people.amina, entry, 2, {"hours": 5})
    replay = edit(store, people.amina, entry, 1, {"hours": 3}, op_id=op_id)
    assert (replay.status, replay.revision) == ("duplicate", 2)
    assert store.record(entry)["data"]["hours"] == 5.0
    assert store.record(entry)["revision"] == 3


def test_replay_by_another_actor_is_forbidden_and_changes_nothing(store, people, entry):
    op_id = new_id()
    edit(store, people.amina, entry, 1, {"hours": 3}, op_id=op_id)
    before = count(store, "history")
    with pytest.raises(Forbidden):
        edit(store, people.coach, entry, 2, {"status": "verified"}, op_id=op_id)
    assert count(store, "history") == before
    assert store.record(entry)["data"]["status"] == "self_reported"
    assert store.operation(op_id)["actor_id"] == people.amina.id


def test_change_sequence_advances_strictly(store, people, entry):
    seqs = [store.record(entry)["seq"]]
    for n, amount in enumerate([3, 4, 5], start=1):
        seqs.append(edit(store, people.amina, entry, n, {"hours": amount}).seq)
    other = put(store, people.bilal, people.bilal, "volunteer", hours())
    seqs.append(other.seq)
    assert seqs == sorted(set(seqs))
    assert store.last_seq() == seqs[-1]
    assert store.last_seq(people.amina.id) == seqs[-2]


# -- stale edits: merge or conflict ----------------------------------------------


def test_stale_edit_of_other_fields_is_merged(store, people, entry):
    edit(store, people.amina, entry, 1, {"hours": 3})  # phone A
    outcome = edit(store, people.amina, entry, 1, {"activity": "Driving the van"})  # phone B
    assert (outcome.status, outcome.revision) == ("merged", 3)
    data = store.record(entry)["data"]
    assert (data["hours"], data["activity"]) == (3.0, "Driving the van")
    assert store.record(entry)["has_conflict"] is False


def test_stale_edit_with_the_same_value_is_merged(store, people, entry):
    edit(store, people.amina, entry, 1, {"hours": 3})
    outcome = edit(store, people.amina, entry, 1, {"hours": 3})
    assert outcome.status == "merged"
    assert store.open_conflicts(people.amina.id) == []


def test_stale_edit_with_the_same_value_as_typed_in_a_form_is_merged(store, people, entry):
    # Forms send text: "3" is the same hours as the stored 3.0.
    edit(store, people.amina, entry, 1, {"hours": "3"})
    outcome = edit(store, people.amina, entry, 1, {"hours": "3", "activity": "Cooking"})
    assert outcome.status == "merged"
    assert store.record(entry)["data"]["activity"] == "Cooking"


def test_stale_edit_of_the_same_field_is_a_conflict(store, people, entry):
    edit(store, people.amina, entry, 1, {"hours": 3})
    op_id = new_id()
    outcome = edit(store, people.amina, entry, 1, {"hours": 6}, op_id=op_id)
    assert (outcome.status, outcome.revision) == ("conflict", 2)
    record = store.record(entry)
    assert record["data"]["hours"] == 3.0
    assert record["revision"] == 2
    assert record["has_conflict"] is True
    [conflict] = store.open_conflicts(people.amina.id, entry)
    assert conflict["id"] == outcome.conflict_id
    assert conflict["proposed"] == {"hours": 6}
    assert (conflict["op_id"], conflict["action"]) == (op_id, "put")
    assert (conflict["base_revision"], conflict["current_revision"]) == (1, 2)
    assert store.history(entry)[-1]["action"] == "conflict"
    assert store.operation(op_id)["outcome"]["status"] == "conflict"


def test_replayed_conflict_is_a_duplicate_not_a_second_conflict(store, people, entry):
    edit(store, people.amina, entry, 1, {"hours": 3})
    op_id = new_id()
    first = edit(store, people.amina, entry, 1, {"hours": 6}, op_id=op_id)
    again = edit(store, people.amina, entry, 1, {"hours": 6}, op_id=op_id)
    assert again.status == "duplicate"
    assert again.conflict_id == first.conflict_id
    assert len(store.open_conflicts(people.amina.id)) == 1


def test_stale_delete_after_an_edit_is_a_conflict(store, people, entry):
    edit(store, people.amina, entry, 1, {"hours": 3})
    outcome = delete(store, people.amina, people.amina, "volunteer", entry, 1)
    assert outcome.status == "conflict"
    assert store.record(entry)["deleted"] is False
    [conflict] = store.open_conflicts(people.amina.id)
    assert (conflict["action"], conflict["proposed"]) == ("delete", {})


def test_stale_edit_of_a_deleted_record_is_a_conflict(store, people, entry):
    delete(store, people.amina, people.amina, "volunteer", entry, 1)
    outcome = edit(store, people.amina, entry, 1, {"hours": 3})
    assert outcome.status == "conflict"
    assert store.record(entry)["deleted"] is True
    assert store.open_conflicts(people.amina.id)[0]["proposed"] == {"hours": 3}


def test_invalid_stale_edit_is_refused_not_stored_as_conflict(store, people, entry):
    edit(store, people.amina, entry, 1, {"hours": 3})
    with pytest.raises(ValidationFailed) as error:
        edit(store, people.amina, entry, 1, {"hours": 30})
    assert error.value.errors["hours"][0] == "A day has at most 24 hours"
    assert store.open_conflicts(people.amina.id) == []


def test_two_phones_creating_basics_edit_one_record(store, people):
    first = put(store, people.amina, people.amina, "basics", basics())
    second = put(store, people.amina, people.amina, "basics", {**basics(), "my_goal": "Nurse"})
    assert first.record_id == second.record_id == singleton_id(people.amina.id, "basics")
    assert second.status == "merged"
    assert len(store.records(people.amina.id, "basics")) == 1
    assert store.record(first.record_id)["data"]["my_goal"] == "Nurse"


def test_basics_update_the_account(store, people):
    put(store, people.amina, people.amina, "basics",
        {**basics(name="Amina Y."), "preferred_language": "en"})
    user = store.user(people.amina.id)
    assert (user["display_name"], user["locale"], user["location_id"]) == (
        "Amina Y.", "en", "loc-a")


# -- resolving conflicts ------------------------------------------------------


@pytest.fixture
def conflict(store, people, entry):
    """Phone A set 3 hours; phone B, offline, proposed 6."""
    edit(store, people.amina, entry, 1, {"hours": 3})
    return edit(store, people.amina, entry, 1, {"hours": 6}).conflict_id


def test_resolve_keeping_the_proposed_version(store, people, entry, conflict):
    op_id = new_id()
    outcome = resolve(store, people.amina, conflict, "proposed", op_id, today=TODAY)
    assert (outcome.status, outcome.revision) == ("applied", 3)
    record = store.record(entry)
    assert (record["data"]["hours"], record["has_conflict"]) == (6.0, False)
    assert store.open_conflicts(people.amina.id) == []
    closed = store.conflict(conflict)
    assert (closed["resolution"], closed["resolved_by"]) == ("proposed", people.amina.id)
    assert store.history(entry)[-1]["op_id"] == op_id


def test_resolve_keeping_the_current_version(store, people, entry, conflict):
    outcome = resolve(store, people.amina, conflict, "current", new_id(), today=TODAY)
    assert (outcome.status, outcome.revision) == ("applied", 2)
    record = store.record(entry)
    assert (record["data"]["hours"], record["revision"], record["has_conflict"]) == (
        3.0, 2, False)
    assert store.conflict(conflict)["resolution"] == "current"


@pytest.mark.parametrize("keep", ["current", "proposed"])
def test_resolve_is_idempotent_by_op_id(store, people, entry, conflict, keep):
    op_id = new_id()
    first = resolve(store, people.amina, conflict, keep, op_id, today=TODAY)
    history = count(store, "history")
    again = resolve(store, people.amina, conflict, keep, op_id, today=TODAY)
    assert again.status == "duplicate"
    assert again.revision == first.revision
    assert count(store, "history") == history


def test_resolve_twice_with_a_new_op_id_is_not_found(store, people, conflict):
    resolve(store, people.amina, conflict, "current", new_id(), today=TODAY)
    with pytest.raises(NotFound):
        resolve(store, people.amina, conflict, "proposed", new_id(), today=TODAY)


def test_record_stays_flagged_while_another_conflict_is_open(store, people, entry, conflict):
    second = edit(store, people.amina, entry, 1, {"hours": 7}).conflict_id
    resolve(store, people.amina, conflict, "current", new_id(), today=TODAY)
    assert store.record(entry)["has_conflict"] is True
    resolve(store, people.amina, second, "current", new_id(), today=TODAY)
    assert store.record(entry)["has_conflict"] is False


def test_resolve_keeping_a_proposed_delete_deletes(store, people, entry):
    edit(store, people.amina, entry, 1, {"hours": 3})
    conflict = delete(store, people.amina, people.amina, "volunteer", entry, 1).conflict_id
    outcome = resolve(store, people.amina, conflict, "proposed", new_id(), today=TODAY)
    assert outcome.revision == 3
    assert store.record(entry)["deleted"] is True


def test_resolve_by_someone_who_cannot_see_the_person_is_not_found(store, people, conflict):
    for actor in (people.bilal, people.coach_b, people.admin):
        with pytest.raises(NotFound):
            resolve(store, actor, conflict, "current", new_id(), today=TODAY)
    assert store.conflict(conflict)["resolved_at"] is None


def test_resolve_replayed_by_another_actor_is_forbidden(store, people, entry, conflict):
    op_id = new_id()
    resolve(store, people.amina, conflict, "current", op_id, today=TODAY)
    second = edit(store, people.amina, entry, 1, {"hours": 7}).conflict_id
    with pytest.raises(Forbidden):
        resolve(store, people.coach, second, "current", op_id, today=TODAY)
    assert store.conflict(second)["resolved_at"] is None


@pytest.mark.parametrize("keep, op_id", [("mine", None), ("current", "not-a-uuid")])
def test_resolve_with_bad_input_is_a_bad_operation(store, people, conflict, keep, op_id):
    with pytest.raises(BadOperation):
        resolve(store, people.amina, conflict, keep, op_id or new_id(), today=TODAY)


# -- who may write what -------------------------------------------------------


def test_tampered_record_id_of_another_person_is_not_found(store, people):
    bilals = put(store, people.bilal, people.bilal, "volunteer", hours()).record_id
    with pytest.raises(NotFound):
        edit(store, people.amina, bilals, 1, {"hours": 9}, person=people.amina.id)
    with pytest.raises(NotFound):
        delete(store, people.amina, people.amina, "volunteer", bilals, 1)
    assert store.record(bilals)["data"]["hours"] == 2.0
    assert store.record(bilals)["revision"] == 1


def test_record_id_of_another_type_is_not_found(store, people, entry):
    with pytest.raises(NotFound):
        put(store, people.amina, people.amina, "goal", {"title": "Nurse"}, record_id=entry,
            base=1)


def test_refugee_writing_to_another_profile_is_not_found(store, people):
    with pytest.raises(NotFound):
        put(store, people.amina, people.bilal, "volunteer", hours())
    assert store.records(people.bilal.id) == []


@pytest.mark.parametrize("who", ["volunteer_b", "coach_b", "admin"])
def test_staff_elsewhere_and_admin_get_not_found(store, people, entry, who):
    actor = getattr(people, who)
    with pytest.raises(NotFound):
        put(store, actor, people.amina, "volunteer", hours())
    with pytest.raises(NotFound):
        edit(store, actor, entry, 1, {"status": "verified"})
    assert len(store.records(people.amina.id)) == 1


def test_volunteer_at_the_location_may_add_hours(store, people):
    outcome = put(store, people.volunteer, people.amina, "volunteer", hours())
    assert store.record(outcome.record_id)["created_by"] == people.volunteer.id


@pytest.mark.parametrize("fields", [{"status": "verified"}, {"status_reason": "ok"}])
def test_refugee_setting_a_staff_field_is_forbidden(store, people, entry, fields):
    with pytest.raises(Forbidden):
        edit(store, people.amina, entry, 1, fields)
    with pytest.raises(Forbidden):
        put(store, people.amina, people.amina, "volunteer", {**hours(), **fields})
    assert store.record(entry)["revision"] == 1


def test_volunteer_setting_status_is_forbidden(store, people, entry):
    with pytest.raises(Forbidden):
        edit(store, people.volunteer, entry, 1, {"status": "verified"})


def test_coach_may_verify_and_question_hours(store, people, entry):
    edit(store, people.coach, entry, 1, {"status": "verified"})
    assert store.record(entry)["data"]["status"] == "verified"
    edit(store, people.coach, entry, 2, {"status": "questioned", "status_reason": "Not signed"})
    data = store.record(entry)["data"]
    assert (data["status"], data["status_reason"]) == ("questioned", "Not signed")
    assert store.history(entry)[-1]["actor_id"] == people.coach.id


def test_coach_questioning_without_a_reason_fails(store, people, entry):
    with pytest.raises(ValidationFailed) as error:
        edit(store, people.coach, entry, 1, {"status": "questioned"})
    assert error.value.errors["status_reason"][0] == (
        "Give a reason why you question these hours")


@pytest.mark.parametrize("fields", [{"activity": "Other"}, {"status": "verified", "hours": 8},
                                    {}])
def test_coach_may_not_change_the_persons_own_words(store, people, entry, fields):
    with pytest.raises(Forbidden):
        edit(store, people.coach, entry, 1, fields)
    assert store.record(entry)["revision"] == 1


def test_coach_may_not_delete_the_persons_entry(store, people, entry):
    with pytest.raises(Forbidden):
        delete(store, people.coach, people.amina, "volunteer", entry, 1)


def test_verified_hours_edited_by_the_refugee_go_back_to_self_reported(store, people, entry):
    edit(store, people.coach, entry, 1, {"status": "questioned", "status_reason": "Too many"})
    edit(store, people.amina, entry, 2, {"hours": 1})
    data = store.record(entry)["data"]
    assert (data["status"], data["status_reason"], data["hours"]) == (
        "self_reported", None, 1.0)


def test_verified_hours_stay_verified_when_resaved_unchanged(store, people, entry):
    edit(store, people.coach, entry, 1, {"status": "verified"})
    # A form posts every field as text, the same hours included.
    edit(store, people.amina, entry, 2, {"date": "2026-03-01", "organisation": "Voedselbank ",
                                         "activity": "Sorting food", "hours": "2"})
    assert store.record(entry)["data"]["status"] == "verified"


def test_coach_writes_a_comment(store, people, entry):
    outcome = put(store, people.coach, people.amina, "comment",
                  {"record_id": entry, "body": "Well done"})
    comment = store.record(outcome.record_id)
    assert comment["data"] == {"record_id": entry, "body": "Well done"}
    assert comment["created_by"] == people.coach.id


@pytest.mark.parametrize("who", ["volunteer", "amina"])
def test_volunteer_and_refugee_may_not_comment(store, people, entry, who):
    with pytest.raises(Forbidden):
        put(store, getattr(people, who), people.amina, "comment",
            {"record_id": entry, "body": "Hello"})
    assert store.records(people.amina.id, "comment") == []


def test_comment_on_another_persons_record_fails_validation(store, people):
    bilals = put(store, people.bilal, people.bilal, "volunteer", hours()).record_id
    with pytest.raises(ValidationFailed) as error:
        put(store, people.coach, people.amina, "comment", {"record_id": bilals, "body": "Hi"})
    assert error.value.errors == {"record_id": ("This entry does not exist", {})}


# -- malformed operations -----------------------------------------------------


def test_basics_with_a_wrong_singleton_id_is_a_bad_operation(store, people):
    with pytest.raises(BadOperation):
        put(store, people.amina, people.amina, "basics", basics(), record_id=new_id())
    with pytest.raises(BadOperation):
        put(store, people.amina, people.amina, "basics", basics(),
            record_id=singleton_id(people.bilal.id, "basics"))
    assert count(store, "records") == 0


def _operation(people, **changes):
    op = {"op_id": new_id(), "person_id": people.amina.id, "record_type": "volunteer",
          "record_id": new_id(), "action": "put", "base_revision": 0, "fields": hours()}
    return Operation(**{**op, **changes})


@pytest.mark.parametrize("changes", [
    {"op_id": "1"},
    {"op_id": ""},
    {"record_id": "../../etc/passwd"},
    {"record_id": "6f1c5b8e8d1a4d0c9a523d7c1e0b2a10"},  # a UUID, not in canonical form
    {"record_id": "6F1C5B8E-8D1A-4D0C-9A52-3D7C1E0B2A10"},  # upper case: a second key
    {"record_id": None},
    {"person_id": "amina"},
    {"record_type": "passport"},
    {"action": "patch"},
    {"base_revision": -1},
    {"base_revision": "1"},
    {"fields": ["hours", 2]},
])
def test_malformed_operation_is_a_bad_operation(store, people, changes):
    with pytest.raises(BadOperation):
        apply(store, people.amina, _operation(people, **changes), today=TODAY)
    assert count(store, "records") == count(store, "operations") == 0


def test_base_revision_in_the_future_is_a_bad_operation(store, people, entry):
    with pytest.raises(BadOperation):
        edit(store, people.amina, entry, 2, {"hours": 3})
    assert store.record(entry)["revision"] == 1


def test_new_record_with_a_base_revision_is_not_found(store, people):
    with pytest.raises(NotFound):
        put(store, people.amina, people.amina, "volunteer", hours(), base=3)


def test_validation_failure_leaves_no_trace(store, people):
    op_id = new_id()
    with pytest.raises(ValidationFailed) as error:
        put(store, people.amina, people.amina, "volunteer", hours(amount=0), op_id=op_id)
    assert error.value.errors == {"hours": ("Hours must be more than 0", {})}
    assert count(store, "records") == count(store, "history") == 0
    assert count(store, "operations") == count(store, "conflicts") == 0
    assert store.operation(op_id) is None


def test_failed_update_leaves_the_record_as_it_was(store, people, entry):
    with pytest.raises(ValidationFailed):
        edit(store, people.amina, entry, 1, {"date": "2026-12-01"})
    assert store.record(entry)["revision"] == 1
    assert len(store.history(entry)) == 1
    assert count(store, "operations") == 1


def test_invalid_op_can_be_sent_again_once_fixed(store, people):
    op_id, record_id = new_id(), new_id()
    with pytest.raises(ValidationFailed):
        put(store, people.amina, people.amina, "volunteer", hours(amount=0), op_id=op_id,
            record_id=record_id)
    outcome = put(store, people.amina, people.amina, "volunteer", hours(), op_id=op_id,
                  record_id=record_id)
    assert outcome.status == "applied"


# -- coach reviews ------------------------------------------------------------


def test_mark_reviewed_remembers_the_newest_change(store, people, entry):
    newest = edit(store, people.amina, entry, 1, {"hours": 3}).seq
    put(store, people.bilal, people.bilal, "volunteer", hours())
    assert mark_reviewed(store, people.coach, people.amina.id) == newest
    review = store.review(people.coach.id, people.amina.id)
    assert review["reviewed_seq"] == newest
    assert store.changes_since(people.amina.id, newest) == []
    edit(store, people.amina, entry, 2, {"hours": 4})
    assert [c["revision"] for c in store.changes_since(people.amina.id, newest)] == [3]


@pytest.mark.parametrize("who", ["volunteer", "amina", "coach_b", "admin"])
def test_only_the_persons_coach_marks_reviewed(store, people, entry, who):
    with pytest.raises(NotFound):
        mark_reviewed(store, getattr(people, who), people.amina.id)
    assert store.review(getattr(people, who).id, people.amina.id) is None


def test_coach_verifying_hours_that_changed_meanwhile_is_a_conflict(store, people, entry):
    edit(store, people.amina, entry, 1, {"hours": 8})  # the coach saw 2 hours, not 8
    outcome = edit(store, people.coach, entry, 1, {"status": "verified"})
    assert outcome.status == "conflict"
    data = store.record(entry)["data"]
    assert (data["hours"], data["status"]) == (8.0, "self_reported")
    assert store.open_conflicts(people.amina.id)[0]["proposed"] == {"status": "verified"}


def test_stale_edit_of_hours_after_verification_is_merged_and_unverified(store, people, entry):
    edit(store, people.coach, entry, 1, {"status": "verified"})
    outcome = edit(store, people.amina, entry, 1, {"hours": 3})
    assert outcome.status == "merged"
    data = store.record(entry)["data"]
    assert (data["hours"], data["status"]) == (3.0, "self_reported")


@pytest.mark.sqlite_only
def test_a_version_1_database_gains_the_via_column(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT"
                " NOT NULL, person_id TEXT NOT NULL, type TEXT NOT NULL, revision INTEGER"
                " NOT NULL, action TEXT NOT NULL, data TEXT NOT NULL, changed TEXT NOT NULL,"
                " actor_id TEXT NOT NULL, op_id TEXT, at TEXT NOT NULL)")
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    store = open_store(path)
    assert "via" in store.columns("history")
    assert store.schema_version() == SCHEMA_VERSION


@pytest.mark.sqlite_only
def test_a_version_2_database_gains_the_view_of_each_operation(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE operations (op_id TEXT PRIMARY KEY, actor_id TEXT,"
                " person_id TEXT, record_id TEXT, at TEXT, outcome TEXT)")
    old.execute("INSERT INTO operations VALUES ('op-1', 'u', 'p', 'r', '2026-01-01',"
                " '{\"status\": \"applied\", \"revision\": 1}')")
    old.execute("PRAGMA user_version = 2")
    old.commit()
    old.close()
    store = open_store(path)
    assert store.schema_version() == SCHEMA_VERSION
    kept = store.operation("op-1")
    assert (kept["outcome"]["status"], kept["view"]) == ("applied", None)


# -- a stale form: only what its author changed is their change --------------------------


def test_a_stale_whole_form_does_not_undo_a_change_to_a_field_its_author_left_alone(
        store, people, entry):
    edit(store, people.amina, entry, 1, {"activity": "Sorting clothes"})  # the other phone
    # This phone's form sends every field, the activity as it was when it was opened.
    outcome = edit(store, people.amina, entry, 1, {**hours(), "organisation": "COA"})
    assert outcome.status == "merged"
    data = store.record(entry)["data"]
    assert (data["activity"], data["organisation"]) == ("Sorting clothes", "COA")


def test_a_stale_whole_form_that_changed_the_same_field_keeps_only_that_change(
        store, people, entry):
    edit(store, people.amina, entry, 1, {"activity": "Sorting clothes"})
    outcome = edit(store, people.amina, entry, 1, {**hours(), "activity": "Cooking"})
    assert outcome.status == "conflict"
    assert store.conflict(outcome.conflict_id)["proposed"] == {"activity": "Cooking"}
    assert store.record(entry)["data"]["activity"] == "Sorting clothes"


def test_a_stale_verdict_keeps_its_reason_even_when_the_reason_was_not_retyped(
        store, people, entry):
    edit(store, people.coach, entry, 1, {"status": "questioned",
                                         "status_reason": "Which day was it?"})
    edit(store, people.coach, entry, 2, {"status": "verified"})  # the reason stays
    edit(store, people.amina, entry, 3, {"hours": 3})  # resets the verdict and its reason
    # The coach, still looking at revision 3, questions the hours again, same reason.
    outcome = edit(store, people.coach, entry, 3, {"status": "questioned",
                                                   "status_reason": "Which day was it?"})
    assert outcome.status == "conflict"
    assert store.conflict(outcome.conflict_id)["proposed"] == {
        "status": "questioned", "status_reason": "Which day was it?"}


@pytest.mark.sqlite_only
def test_a_version_3_database_drops_the_old_sign_in_attempts(tmp_path):
    """Only failures count from version 4 on: the old table of every attempt goes."""
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE signin_attempts (id INTEGER PRIMARY KEY, key TEXT, at TEXT)")
    old.execute("PRAGMA user_version = 3")
    old.commit()
    old.close()
    store = open_store(path)
    assert "signin_attempts" not in store.tables()
    assert {"signin_failures", "sessions"} <= set(store.tables())
