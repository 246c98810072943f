"""Statements of verified volunteer hours that anyone can check.

When a coach verified a person's hours, the person can make a statement of them for an
organisation: who, where, from when to when, how many hours, what they did, verified by
whom and until when. Its link (and QR code) opens a page on Talentkaart that says
whether it is genuine and still valid, and shows nothing else of the profile.

The statement is a JSON document signed with the server's key (HMAC-SHA-256 over its
canonical form), kept with the entries it was made from and their revisions. It reads
"changed" when its document no longer matches its signature (it was altered in the
database), or when one of those entries changed or lost its verification since; and
"revoked" when the person withdrew it. The document's fields follow the W3C Verifiable
Credentials data model where they can (``issuer``, ``validFrom``, ``credentialSubject``)
so it can later be issued as an Open Badges 3.0 credential (README says what is missing).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from sync.kinds import clean_text
from sync.messages import N_
from sync.store import Store, utc_now
from sync.write import Actor, new_id

FORMAT = "talentkaart-hours-statement"
VERSION = 1
GENUINE, CHANGED, REVOKED = "genuine", "changed", "revoked"


class StatementRefused(Exception):
    """A statement that cannot be made or withdrawn; ``message`` is a msgid."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _canonical(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _signature(document: dict, key: bytes) -> str:
    return hmac.new(key, _canonical(document).encode(), hashlib.sha256).hexdigest()


def organisations(store: Store, person_id: str) -> list[str]:
    """The organisations where some of the person's hours are verified."""
    return sorted({r["data"]["organisation"] for r in _verified(store, person_id)})


def _verified(store: Store, person_id: str, organisation: str | None = None) -> list[dict]:
    return [r for r in store.records(person_id, "volunteer")
            if r["data"].get("status") == "verified"
            and (organisation is None or r["data"]["organisation"] == organisation)]


def make(store: Store, actor: Actor, person_id: str, organisation: object, key: bytes,
         issuer: str) -> dict:
    """The person makes a statement of their verified hours at ``organisation``."""
    if actor.role != "refugee" or actor.id != person_id:
        raise StatementRefused(N_("You are not allowed to change this"))
    name = clean_text(organisation, multiline=False) if isinstance(organisation, str) else ""
    entries = _verified(store, person_id, name) if name else []
    if not entries:
        raise StatementRefused(N_("Choose an organisation where a coach verified your hours."))
    checkers = {r["data"].get("status_by") for r in entries}
    person = store.user(person_id)
    statement_id = new_id()
    document = {
        "format": FORMAT, "version": VERSION, "id": statement_id, "issuer": issuer,
        "validFrom": utc_now(),
        "credentialSubject": {
            "name": person["display_name"], "organisation": name,
            "from": min(r["data"]["date"] for r in entries),
            "to": max(r["data"]["date"] for r in entries),
            "hours": round(sum(float(r["data"]["hours"]) for r in entries), 2),
            "activities": sorted({r["data"]["activity"] for r in entries}),
            "verifiedBy": sorted(u["display_name"] for u in
                                 (store.user(c) for c in checkers if c) if u),
            "verifiedUntil": max(r["updated_at"] for r in entries)},
        "entries": sorted([r["id"], r["revision"]] for r in entries),
    }
    row = {"id": statement_id, "person_id": person_id, "document": _canonical(document),
           "signature": _signature(document, key), "created_at": document["validFrom"],
           "revoked_at": None}
    store.add_statement(row)
    return row


def revoke(store: Store, actor: Actor, person_id: str, statement_id: str) -> None:
    """The person withdraws a statement: its link then says so."""
    statement = store.statement(statement_id)
    if actor.id != person_id or statement is None or statement["person_id"] != person_id:
        raise StatementRefused(N_("This page does not exist, or you are not allowed to see it."))
    if statement["revoked_at"] is None:
        store.revoke_statement(statement_id, utc_now())


@dataclass(frozen=True)
class Checked:
    """What the check of a statement found, and the document to show."""

    state: str  # GENUINE, CHANGED or REVOKED
    document: dict
    revoked_at: str | None = None


def check(store: Store, statement: dict, key: bytes) -> Checked:
    """Whether a statement is genuine and still valid."""
    document = json.loads(statement["document"])
    if statement["revoked_at"]:
        return Checked(REVOKED, document, statement["revoked_at"])
    if not hmac.compare_digest(_signature(document, key), statement["signature"]):
        return Checked(CHANGED, document)
    for record_id, revision in document["entries"]:
        record = store.record(record_id)
        if (record is None or record["deleted"] or record["revision"] != revision
                or record["data"].get("status") != "verified"):
            return Checked(CHANGED, document)
    return Checked(GENUINE, document)
