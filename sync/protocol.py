"""The sync protocol between a phone's outbox and the server: push and pull.

Push: a device sends operations it made, oldest first. The batch is applied
through the write path in one transaction, each operation in a savepoint of
its own, and committed (one fsync) before any answer leaves: an
acknowledgement always means "on disk", a crash mid-batch acknowledges
nothing, and a resend of the whole batch is harmless (operations are
idempotent by id). A permanently invalid operation is answered "rejected"
with its reasons, undone alone, and never blocks the ones after it; the phone
keeps it for the person to fix.

Pull: the changes to one person's profile after a cursor (the change
sequence), with deleted records as tombstones, so a phone can tell what is
new, including coaches' comments and verified hours.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sync import device_keys
from sync.messages import N_, N_plural
from sync.records import RECORD_TYPES, ValidationFailed
from sync.store import Store
from sync.write import (
    Actor,
    BadOperation,
    Forbidden,
    NotFound,
    Operation,
    apply_in_transaction,
    can_see,
    record_view,
)

MAX_OPERATIONS = 200  # per push; the phone sends larger outboxes in batches
MAX_FIELDS = 40
MAX_VALUE_LENGTH = 10_000
FORMAT = "talentkaart-outbox"  # the escape-hatch file an unsent outbox is saved as
NOT_SIGNED = N_("These changes are not signed by the phone they were made on. Ask the person "
                "to sign in on that phone so the changes are sent from there.")


class BadPayload(Exception):
    """The request as a whole is malformed; ``message`` is a msgid."""

    def __init__(self, message: str, params: dict | None = None):
        super().__init__(message)
        self.message, self.params = message, params or {}


def _field_value_ok(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float)):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_VALUE_LENGTH
    if isinstance(value, list):
        return len(value) <= 50 and all(isinstance(v, str) and len(v) <= 200 for v in value)
    return False


def parse_operation(raw: Any) -> Operation:
    """One operation from JSON, checked for shape (not content); raise ``BadOperation``."""
    if not isinstance(raw, dict):
        raise BadOperation()
    fields = raw.get("fields", {})
    base = raw.get("base_revision")
    after = raw.get("after")
    strings = ("op_id", "person_id", "record_type", "record_id", "action")
    if (any(not isinstance(raw.get(key), str) for key in strings)
            or not isinstance(base, int) or isinstance(base, bool)
            or not (after is None or isinstance(after, str))
            or not isinstance(fields, dict) or len(fields) > MAX_FIELDS
            or any(not isinstance(k, str) or not _field_value_ok(v) for k, v in fields.items())
            or raw["record_type"] not in RECORD_TYPES):
        raise BadOperation()
    return Operation(op_id=raw["op_id"], person_id=raw["person_id"],
                     record_type=raw["record_type"], record_id=raw["record_id"],
                     action=raw["action"], base_revision=base, fields=fields, after=after)


def operations_from(payload: Any) -> list[Any]:
    """The list of raw operations in a push body or an outbox file."""
    if not isinstance(payload, dict) or not isinstance(payload.get("operations"), list):
        raise BadPayload(N_("The data is not in the expected format."))
    raw_ops = payload["operations"]
    if len(raw_ops) > MAX_OPERATIONS:
        raise BadPayload(N_plural("Send at most %(max)s change at once.",
                                  "Send at most %(max)s changes at once.", "max"),
                         {"max": MAX_OPERATIONS})
    return raw_ops


def push(store: Store, actor: Actor, raw_ops: list[Any], *,
         today: date | None = None, via: str | None = None,
         only_person: str | None = None) -> list[dict]:
    """Apply operations in order; one result per operation, in the same order.

    Result statuses: applied, merged, conflict, duplicate (all mean "the
    server has it": the phone may drop it) and rejected (the phone keeps it,
    with ``message`` and per-field ``errors`` as (msgid, params) pairs).
    ``via`` names someone who delivered the operations for their author.
    """
    results = []
    with store.transaction(pipelined=True):
        for raw in raw_ops:
            results.append(_push_one(store, actor, raw, today, via, only_person))
    return results


def _push_one(store: Store, actor: Actor, raw: Any, today: date | None, via: str | None,
              only_person: str | None) -> dict:
    """One operation of a batch, in a savepoint: a refusal undoes only itself."""
    op_id = raw.get("op_id") if isinstance(raw, dict) else None
    try:
        op = parse_operation(raw)
        if only_person is not None and op.person_id != only_person:
            raise NotFound()
        with store.savepoint():
            outcome = apply_in_transaction(store, actor, op, today=today, via=via)
    except ValidationFailed as failure:
        return {"op_id": op_id, "status": "rejected",
                "message": (N_("Some answers are not valid."), {}), "errors": failure.errors}
    except (Forbidden, NotFound, BadOperation) as error:
        return {"op_id": op_id, "status": "rejected", "message": (error.message, {}),
                "errors": {}}
    return {"op_id": op_id, **outcome.as_dict()}


def pull(store: Store, actor: Actor, person_id: str, since: int) -> dict:
    """Changes to ``person_id``'s profile after change ``since``; raise ``NotFound``."""
    if not can_see(store, actor, person_id):
        raise NotFound()
    if since < 0:
        raise BadOperation()
    records = [record_view(store, r) for r in store.records_changed_since(person_id, since)]
    conflicts = store.open_conflicts(person_id)
    return {
        "cursor": max([since] + [r["seq"] for r in records]),
        "records": [{"id": r["id"], "type": r["type"], "revision": r["revision"],
                     "deleted": r["deleted"], "has_conflict": r["has_conflict"],
                     "data": r["data"], "seq": r["seq"], "updated_at": r["updated_at"],
                     "updated_by": r["updated_by"]} for r in records],
        "conflicts": [{"id": c["id"], "record_id": c["record_id"], "action": c["action"],
                       "proposed": c["proposed"]} for c in conflicts],
    }


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # "[[[[..." nested deeper than the parser goes
        return None


def read_outbox_file(content: bytes) -> dict:
    """Parse a saved outbox file; raise ``BadPayload`` when it is not one."""
    if len(content) > 5 * 1024 * 1024:
        raise BadPayload(N_("What you sent is too large."))
    try:
        payload = _json_or_none(content.decode("utf-8"))
    except UnicodeDecodeError:
        payload = None
    if (not isinstance(payload, dict) or payload.get("format") != FORMAT
            or not isinstance(payload.get("user_id"), str)):
        raise BadPayload(N_("This is not a file with saved Talentkaart changes"))
    return payload


def upload(store: Store, uploader: Actor, person_id: str, payload: dict, *,
           today: date | None = None) -> list[dict]:
    """Apply a saved outbox for one person, in the name of whoever made the changes.

    The uploader only carries the file: changes a refugee made on their own
    phone stay theirs (the history notes who delivered them), but only when
    their phone signed every one of them; otherwise nothing is applied. A file
    made by someone else than the uploader or the person is refused.
    """
    if not can_see(store, uploader, person_id):
        raise NotFound()
    maker_id = payload["user_id"]
    if maker_id == uploader.id:
        author = uploader
    elif maker_id == person_id:
        author = Actor(id=person_id, role="refugee")
    else:
        raise BadPayload(N_("These changes were made by someone else. Upload them with "
                            "their own account."))
    raw_ops = operations_from(payload)
    if author is not uploader:
        raw_ops = _as_signed_by(store, maker_id, raw_ops)
    return push(store, author, raw_ops, today=today,
                via=uploader.id if author is not uploader else None, only_person=person_id)


def _as_signed_by(store: Store, user_id: str, raw_ops: list[Any]) -> list[Any]:
    """The operations exactly as ``user_id``'s phone signed them; raise ``BadPayload``
    unless that phone signed every one, so a forged file changes nothing at all."""
    signed_ops = []
    for raw in raw_ops:
        if not (isinstance(raw, dict) and device_keys.is_signed_by(
                store, user_id, raw.get("key_id"), raw.get("signed"), raw.get("sig"))):
            raise BadPayload(NOT_SIGNED)
        # The signed text is the operation: unsigned copies of its fields are ignored.
        signed_ops.append(_json_or_none(raw["signed"]))
    return signed_ops
