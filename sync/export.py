"""A person's own copy of their data: everything about them as JSON, and a CV as JSON Resume.

The export format (``FORMAT``, version ``VERSION``) is documented in README.md
("Download my data"). Bump the version whenever a key changes meaning or goes; new keys
may be added within a version. It is written as a stream, a batch of the history at a
time, so a long profile does not have to fit in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from sync.kinds import Reader
from sync.messages import N_
from sync.records import RECORD_TYPES
from sync.store import Store

FORMAT = "talentkaart-export"
VERSION = 1
JSON_RESUME_SCHEMA = "https://raw.githubusercontent.com/jsonresume/resume-schema/v1.0.0/schema.json"

# The access log's kinds of look, as the person reads them (the app translates them;
# the export says them in English).
VIEW_KINDS = {
    "profile": N_("Looked at your profile"),
    "review": N_("Reviewed your profile"),
    "card": N_("Made your talent card"),
    "export": N_("Downloaded a list with your volunteer hours"),
    "share": N_("Opened the link you shared"),
    "housing": N_("Made your profile for the housing allocation"),
    "file": N_("Opened one of your photos or documents"),
    "idw": N_("Prepared your diploma evaluation (IDW)"),
}
_PERSON_KEYS = ("id", "username", "display_name", "role", "locale", "created_at")
_RECORD_KEYS = ("id", "type", "revision", "deleted", "data", "created_at", "created_by",
                "updated_at", "updated_by")
_HISTORY_KEYS = ("seq", "record_id", "type", "revision", "action", "data", "changed",
                 "actor_id", "at", "via")
_CONFLICT_KEYS = ("id", "record_id", "op_id", "actor_id", "action", "base_revision",
                  "current_revision", "proposed", "created_at", "resolved_at", "resolved_by",
                  "resolution")
_MOVE_KEYS = ("id", "from_location", "from_name", "to_location", "to_name", "asked_by",
              "asked_at", "answer", "answered_by", "answered_at")
_SHARE_KEYS = ("id", "audience", "sections", "named", "free_text", "contact", "expires_on",
               "created_at", "created_by", "status", "answered_at", "answered_by")
_FILE_KEYS = ("id", "media_type", "size", "width", "height", "name", "seconds", "language",
              "added_at", "added_by", "seen_by", "seen_at")
_CONSENT_KEYS = ("id", "subject", "subject_id", "text", "locale", "given_at", "how",
                 "withdrawn_at", "withdrawn_how")
_VIEW_KEYS = ("day", "viewer_id", "display_name", "viewer_role", "what", "times", "first_at",
              "last_at")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _pick(row: dict, keys: Iterable[str]) -> dict:
    return {key: row.get(key) for key in keys}


def file_path(row: dict) -> str:
    """Where a file is in the downloaded archive."""
    from sync.files import EXTENSIONS

    return f"files/{row['id']}{EXTENSIONS.get(row['media_type'], '')}"


def write_export(store: Store, person_id: str, out: TextIO, *, now: str) -> None:
    """Write everything stored about ``person_id`` to ``out`` as one JSON document."""
    person = store.user(person_id)
    place = store.location(person["location_id"]) if person["location_id"] else None
    records = store.records(person_id, include_deleted=True)
    names: dict[str, dict] = {}

    def name(user_id: str | None) -> None:
        if user_id and user_id not in names:
            user = store.user(user_id)
            names[user_id] = ({"display_name": user["display_name"], "role": user["role"]}
                              if user else None)

    out.write('{"format": ' + _dumps(FORMAT) + ', "version": ' + str(VERSION))
    out.write(', "exported_at": ' + _dumps(now))
    out.write(', "person": ' + _dumps({
        **_pick(person, _PERSON_KEYS),
        "location": {"id": place["id"], "name": place["name"]} if place else None}))
    out.write(', "records": [')
    for n, record in enumerate(records):
        out.write((", " if n else "") + _dumps({
            **_pick(record, _RECORD_KEYS), "deleted": bool(record["deleted"])}))
        name(record["created_by"])
        name(record["updated_by"])
    out.write('], "history": [')
    after, first = 0, True
    while batch := store.history_of_person(person_id, after=after):
        for change in batch:
            out.write(("" if first else ", ") + _dumps(_pick(change, _HISTORY_KEYS)))
            name(change["actor_id"])
            first = False
        after = batch[-1]["seq"]
    out.write('], "conflicts": [')
    for n, conflict in enumerate(store.conflicts_of(person_id)):
        out.write((", " if n else "") + _dumps(_pick(conflict, _CONFLICT_KEYS)))
        name(conflict.get("actor_id"))
    out.write('], "views": [')
    for n, view in enumerate(store.all_views_of(person_id)):
        out.write((", " if n else "") + _dumps(
            {**_pick(view, _VIEW_KEYS), "what_means": VIEW_KINDS.get(view["what"])}))
    out.write('], "moves": ' + _dumps([_pick(m, _MOVE_KEYS) for m in store.moves_of(person_id)]))
    out.write(', "shares": ' + _dumps([
        {**_pick(share, _SHARE_KEYS), "sections": share["sections"].split(","),
         "named": bool(share["named"]), "free_text": bool(share["free_text"])}
        for share in store.shares_of(person_id)]))
    out.write(', "consents": ' + _dumps([_pick(c, _CONSENT_KEYS)
                                         for c in store.consents_of(person_id)]))
    kept_files = store.files_of(person_id)
    for kept in kept_files:
        name(kept["added_by"])
        name(kept["seen_by"])
    out.write(', "files": ' + _dumps([{**_pick(f, _FILE_KEYS), "path": file_path(f)}
                                      for f in kept_files]))
    out.write(', "statements": ' + _dumps([
        {"id": st["id"], "document": json.loads(st["document"]), "created_at": st["created_at"],
         "revoked_at": st["revoked_at"]} for st in store.statements_of(person_id)]))
    out.write(', "view_kinds": ' + _dumps(VIEW_KINDS))
    out.write(', "people": ' + _dumps(names) + "}\n")


def _shown(record_type: str, field_name: str, value: Any, reader: Reader) -> str | None:
    """A stored value as ``reader`` reads it (the label of a code or a choice)."""
    if value in (None, "", []):
        return None
    spec = RECORD_TYPES[record_type].field(field_name)
    return spec.spec.display(spec, value, reader) or str(value)


def _by_type(store: Store, person_id: str) -> dict[str, list[dict]]:
    by_type: dict[str, list[dict]] = {name: [] for name in RECORD_TYPES}
    for record in store.records(person_id):
        by_type[record["type"]].append(record)
    return by_type


HOUSING_FORMAT = "talentkaart-housing-match"
HOUSING_VERSION = 1
HOUSING_TYPES = ("ambition", "work", "education", "language")


def housing_match(store: Store, person_id: str, reader: Reader, *, now: str) -> dict:
    """What the allocation of a home weighs for the person's chance of work, for the
    process that matches status holders to municipalities (only with their consent):
    ambitions, the regions they want to live and work in, sectors, work, education,
    languages. Each value as stored, with its label as ``reader`` reads it."""
    person = store.user(person_id)
    place = store.location(person["location_id"]) if person["location_id"] else None
    by_type = _by_type(store, person_id)

    def entry(record_type: str, data: dict) -> dict:
        shown: dict[str, Any] = {}
        for spec in RECORD_TYPES[record_type].fields:
            value = data.get(spec.name)
            if value in (None, "", []) or spec.staff_only:
                continue
            shown[spec.name] = value
            label = _shown(record_type, spec.name, value, reader)
            if label != str(value):
                shown[spec.name + "_label"] = label
        return shown

    ambitions = [a["data"] for a in by_type["ambition"]]
    regions = sorted({code for a in ambitions for code in a.get("regions") or []})
    sectors = sorted({a["sector"] for a in ambitions if a.get("sector")})
    return {
        "format": HOUSING_FORMAT, "version": HOUSING_VERSION, "made_at": now,
        "person": {"id": person["id"], "display_name": person["display_name"],
                   "location": place["name"] if place else None},
        "regions": [{"code": code, "label": _shown("ambition", "regions", [code], reader)}
                    for code in regions],
        "sectors": [{"code": code, "label": _shown("ambition", "sector", code, reader)}
                    for code in sectors],
        **{record_type: [entry(record_type, r["data"]) for r in by_type[record_type]]
           for record_type in HOUSING_TYPES},
    }


def json_resume(store: Store, person_id: str, reader: Reader, *, now: str) -> dict:
    """The person's CV in the JSON Resume schema (v1.0.0), labels as ``reader`` reads them,
    for a CV tool or a job site to import. Only what the schema has a place for."""
    person = store.user(person_id)
    by_type = _by_type(store, person_id)
    basics = by_type["basics"][0]["data"] if by_type["basics"] else {}
    show = lambda t, f, v: _shown(t, f, v, reader)  # noqa: E731
    resume: dict[str, Any] = {
        "$schema": JSON_RESUME_SCHEMA,
        "basics": {"name": person["display_name"],
                   **({"summary": basics["my_goal"]} if basics.get("my_goal") else {})},
        "work": [{key: value for key, value in {
            "name": w["data"].get("employer"), "position": w["data"].get("job_title"),
            "location": show("work", "country", w["data"].get("country")),
            "startDate": w["data"].get("start"), "endDate": w["data"].get("end"),
            "summary": w["data"].get("description")}.items() if value}
            for w in by_type["work"]],
        "education": [{key: value for key, value in {
            "area": e["data"].get("field"),
            "studyType": show("education", "level", e["data"].get("level")),
            "startDate": str(e["data"]["start_year"]) if e["data"].get("start_year") else None,
            "endDate": str(e["data"]["end_year"]) if e["data"].get("end_year") else None,
            }.items() if value} for e in by_type["education"]],
        "skills": [{key: value for key, value in {
            "name": show("skill", "code", s["data"].get("code")) or s["data"].get("free_text"),
            "level": show("skill", "level", s["data"].get("level")),
            }.items() if value} for s in by_type["skill"]],
        "languages": [{key: value for key, value in {
            "language": show("language", "language", lang["data"].get("language")),
            "fluency": show("language", "speaking", lang["data"].get("speaking")),
            }.items() if value} for lang in by_type["language"]],
        "interests": [{"name": show("ambition", "occupation", a["data"].get("occupation"))
                       or show("ambition", "sector", a["data"].get("sector"))
                       or a["data"].get("note")}
                      for a in by_type["ambition"]
                      if a["data"].get("occupation") or a["data"].get("sector")
                      or a["data"].get("note")],
        "volunteer": _volunteering(by_type["volunteer"]),
        "meta": {"version": "v1.0.0", "lastModified": now},
    }
    return resume


def _volunteering(entries: list[dict]) -> list[dict]:
    """Hour entries as JSON Resume's volunteer work: one item per organisation, from its
    first day to its last, its hours in the summary and its activities as highlights."""
    by_organisation: dict[str, list[dict]] = {}
    for entry in entries:
        by_organisation.setdefault(entry["data"].get("organisation") or "", []).append(
            entry["data"])
    items = []
    for organisation, days in sorted(by_organisation.items()):
        dates = sorted(d["date"] for d in days if d.get("date"))
        hours = sum(float(d.get("hours") or 0) for d in days)
        items.append({key: value for key, value in {
            "organization": organisation or None,
            "startDate": dates[0] if dates else None, "endDate": dates[-1] if dates else None,
            "summary": f"{hours:g} h",
            "highlights": sorted({d["activity"] for d in days if d.get("activity")}),
            }.items() if value})
    return items
