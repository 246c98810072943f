"""A refugee's profile, section by section: list, add, edit, delete.

The same pages serve the refugee and a volunteer filling it in with them.
Every change goes through ``sync.write.apply``; forms work without
JavaScript, and htmx (boosted forms, inline delete, search as you type) makes
them lighter where it runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from pwa.db import get_store
from pwa.files import add_from_form
from pwa.i18n import dutch, page_locale, plural_forms, translate
from pwa.paging import Page, requested_page
from pwa.privacy import notices
from pwa.security import (
    current_actor,
    is_fragment_request,
    login_required,
    person_or_404,
    resubmittable,
)
from sync import clock, taxonomy, work_rules
from sync.hours import HoursTotals, totals_from
from sync.messages import N_, Plural
from sync.records import RECORD_TYPES, Field, ValidationFailed
from sync.write import Operation, apply, new_id, record_view, resolve, singleton_id

bp = Blueprint("profile", __name__, url_prefix="/people/<person_id>")


@dataclass(frozen=True)
class Section:
    """A page of the profile and the record type it lists."""

    slug: str
    record_type: str
    title: str
    intro: str
    add_label: str = ""
    in_overview: bool = True


SECTIONS = {s.slug: s for s in [
    Section("basics", "basics", N_("About you"),
            N_("Your name, where you live and your situation.")),
    Section("ambitions", "ambition", N_("Ambitions"),
            N_("What work do you want to do?"), N_("Add a wish")),
    Section("skills", "skill", N_("Skills"),
            N_("What can you do? Also things you learned without a diploma."),
            N_("Add a skill")),
    Section("languages", "language", N_("Languages"),
            N_("Which languages do you speak, and how well?"), N_("Add a language")),
    Section("education", "education", N_("Education"),
            N_("Schools, training and diplomas."), N_("Add education")),
    Section("work", "work", N_("Work experience"),
            N_("Jobs you had, also your own business."), N_("Add work experience")),
    Section("volunteering", "volunteer", N_("Volunteer work"),
            N_("Hours you worked as a volunteer."), N_("Add hours")),
    Section("plan", "goal", N_("Development plan"),
            N_("Your goals and the steps to reach them."), N_("Add a goal")),
    Section("steps", "step", N_("Steps"), N_("Steps towards a goal."), N_("Add a step"),
            in_overview=False),
]}
SECTION_OF_TYPE = {s.record_type: s for s in SECTIONS.values()}

# The guided start of a new profile: these sections' forms one after another, each
# question on a screen of its own (static/js/guided.js), then the profile's start.
GUIDED_STEPS = ("basics", "ambitions", "skills", "languages")


def guided_url(person_id: str, slug: str) -> str:
    """The form of a step of the guided start."""
    if slug == "basics":
        return url_for("profile.basics", person_id=person_id, guided=1)
    return url_for("profile.new", person_id=person_id, slug=slug, guided=1)


def guided_next(person_id: str, slug: str) -> str:
    """Where the guided start goes after the step ``slug``."""
    following = GUIDED_STEPS[GUIDED_STEPS.index(slug) + 1:]
    return (guided_url(person_id, following[0]) if following
            else url_for("profile.overview", person_id=person_id))


def guided_step(slug: str) -> int | None:
    """The step (from 1) of this request's guided start, or None outside one."""
    if request.values.get("guided") != "1" or slug not in GUIDED_STEPS:
        return None
    return GUIDED_STEPS.index(slug) + 1


# Entries a page: what a person takes in on a phone (each is a card with its buttons,
# about a third of a small screen), and what a page costs to draw does not grow with
# the list.
SECTION_PAGE = 10


@dataclass(frozen=True)
class FormOptions:
    """What a form offers that depends on the person (sync.kinds.Options)."""

    locations: list[dict]
    goals: list[dict]


def section_or_404(slug: str) -> Section:
    """The section called ``slug``; the basics page has its own route."""
    section = SECTIONS.get(slug)
    if section is None or section.slug == "basics":
        abort(404)
    return section


def editable_fields(record_type: str) -> list[Field]:
    """The fields a refugee or volunteer fills in (not the coach's)."""
    return RECORD_TYPES[record_type].editable_fields


def read_form(fields: list[Field], source) -> dict:
    """The submitted values of ``fields``, each read as its kind sends it."""
    return {f.name: f.spec.read(source, f.name) for f in fields}


def new_entry_data(record_type: str) -> dict:
    """What a new entry's form shows: the record type's defaults, then the query's values
    (a step starts under the goal it was added from).

    A required choice with a default shows it chosen: what the form shows is what is
    saved, also when the form is sent from the phone's outbox days later.
    """
    fields = editable_fields(record_type)
    given = read_form(fields, request.args)
    return {f.name: given[f.name] if f.name in request.args else f.default for f in fields}


def can_edit(person: dict) -> bool:
    """Refugees edit their own profile, volunteers those of their location."""
    return g.user["role"] == "refugee" or g.user["role"] == "volunteer"


def load_profile(person_id: str) -> dict:
    """All of a person's records by type, with comments and open conflicts attached.

    For one-page views of the whole profile (the talent card); a section shows a
    page of one type (``load_section``).
    """
    store = get_store()
    by_type: dict[str, list[dict]] = {name: [] for name in RECORD_TYPES}
    for rec in store.records(person_id):
        by_type[rec["type"]].append(rec)
    return with_context(store, person_id, by_type, by_type.pop("comment"))


def load_section(person_id: str, record_type: str, page: Page) -> dict:
    """One page of a person's entries of a type, with what they show: their comments,
    open conflicts, the names of who wrote them, a goal's steps, the basics."""
    store = get_store()
    entries = store.records_page(person_id, record_type, limit=page.size, offset=page.offset)
    by_type: dict[str, list[dict]] = {name: [] for name in RECORD_TYPES}
    by_type[record_type] = entries
    ids = [rec["id"] for rec in entries]
    if record_type == "goal":
        by_type["step"] = store.records_about(person_id, "step", "goal_id", ids)
        ids += [step["id"] for step in by_type["step"]]
    basics = store.record(singleton_id(person_id, "basics"))
    by_type["basics"] = [basics] if basics and not basics["deleted"] else []
    comments = store.records_about(person_id, "comment", "record_id", ids)
    return with_context(store, person_id, by_type, comments)


def with_context(store, person_id: str, by_type: dict, comment_list: list[dict]) -> dict:
    """Entries by type with their comments, open conflicts and the names of who wrote them."""
    comments: dict[str, list[dict]] = {}
    for comment in comment_list:
        comments.setdefault(comment["data"]["record_id"], []).append(comment)
    conflicts: dict[str, list[dict]] = {}
    for conflict in store.open_conflicts(person_id):
        conflicts.setdefault(conflict["record_id"], []).append(conflict)
    names = {u["id"]: u for u in _authors(store, by_type, comments)}
    return {"by_type": by_type, "comments": comments, "conflicts": conflicts, "people": names}


def _authors(store, by_type, comments):
    ids = {r["created_by"] for recs in by_type.values() for r in recs}
    ids |= {r["updated_by"] for recs in by_type.values() for r in recs}
    ids |= {r["data"].get("status_by") for r in by_type["volunteer"]}
    ids |= {c["created_by"] for cs in comments.values() for c in cs}
    return [u for u in (store.user(i) for i in ids if i) if u]


def hours_totals_of(person_id: str) -> HoursTotals:
    """A person's volunteer hours per month and week, and in all (exact, kept by the
    write path)."""
    return totals_from(get_store().tallies(person_id, "volunteer"))


def advice_for(basics: dict | None):
    """The work rules that apply to this person today."""
    data = basics["data"] if basics else {}
    parse = lambda value: date.fromisoformat(value) if value else None  # noqa: E731
    return work_rules.work_advice(data.get("residence"), parse(data.get("procedure_start")),
                                  parse(data.get("permit_date")), clock.today(),
                                  get_store().work_rules())


def _render_form(person, section, record, data, errors, status=200):
    store = get_store()
    goals = [r for r in store.records(person["id"], "goal")]
    template = "profile/_form.html" if is_fragment_request() else "profile/form.html"
    offered = FormOptions(locations=store.locations(), goals=goals)
    step = guided_step(section.slug)
    return render_template(
        template, person=person, section=section, record=record, data=data, errors=errors,
        guided=step, guided_total=len(GUIDED_STEPS),
        guided_next=guided_next(person["id"], section.slug) if step else None,
        fields=editable_fields(section.record_type), offered=offered,
        conflicts=store.open_conflicts(person["id"], record["id"])
        if record else [], query=request.values.get("q", "")), status


def _save(person, section, record_id, base_revision, data, op_id):
    """Run the write path; return (outcome, errors)."""
    op = Operation(op_id=op_id, person_id=person["id"], record_type=section.record_type,
                   record_id=record_id, action="put", base_revision=base_revision,
                   fields=data)
    try:
        return apply(get_store(), current_actor(), op), {}
    except ValidationFailed as failure:
        return None, {k: translate(v) for k, v in failure.errors.items()}


def _after_save(person, section, outcome):
    if outcome.status == "conflict":
        flash(_("Someone else changed this entry at the same time. Both versions are kept: "
                "choose which one is right."), "error")
        return redirect(url_for("profile.edit", person_id=person["id"], slug=section.slug,
                                record_id=outcome.record_id), 303)
    if outcome.status == "duplicate":
        flash(_("This was already saved."), "success")
    else:
        flash(_("Saved."), "success")
    if guided_step(section.slug):
        return redirect(guided_next(person["id"], section.slug), 303)
    target = "plan" if section.slug == "steps" else section.slug
    if target == "basics":
        return redirect(url_for("profile.overview", person_id=person["id"]), 303)
    return redirect(url_for("profile.section", person_id=person["id"], slug=target), 303)


@bp.get("/")
@login_required("refugee", "volunteer", "coach")
def overview(person_id: str):
    """The profile's start: one row per section, and what work is allowed."""
    person = person_or_404(person_id)
    store = get_store()
    basics = store.record(singleton_id(person_id, "basics"))
    basics = basics if basics and not basics["deleted"] else None
    return render_template("profile/overview.html", person=person,
                           counts=store.count_records(person_id),
                           sections=[s for s in SECTIONS.values() if s.in_overview],
                           basics=basics, advice=advice_for(basics),
                           guided_start=guided_url(person_id, GUIDED_STEPS[0]),
                           **(notices(person_id) if g.user["id"] == person_id
                              else {"erasure": None, "move": None}))


@bp.route("/basics", methods=["GET", "POST"])
@login_required("refugee", "volunteer", "coach")
@resubmittable
def basics(person_id: str):
    """Name, language, place and residence situation."""
    person = person_or_404(person_id)
    section = SECTIONS["basics"]
    record_id = singleton_id(person_id, "basics")
    record = record_view(get_store(), get_store().record(record_id))
    if request.method == "POST":
        return _post_form(person, section, record, record_id)
    # The name, place and language are the account's: shown before the first save too.
    data = record["data"] if record else {
        "display_name": person["display_name"], "location_id": person["location_id"],
        "preferred_language": person["locale"] or "nl"}
    return _render_form(person, section, record, data, {})


def _post_form(person, section, record, record_id):
    if not can_edit(person):
        abort(403)
    data = read_form(editable_fields(section.record_type), request.form)
    refused = None
    if "files" in data and not g.get("csrf_failed"):
        data["files"], refused = add_from_form(person["id"], data["files"] or [])
    if g.get("csrf_failed"):
        errors = {"__all__": _("For your safety this form expired. Check your entry and "
                               "press Save again.")}
        return _render_form(person, section, record, data, errors, 422)
    try:
        base = int(request.form.get("base_revision", "0"))
    except ValueError:
        abort(400)
    if refused:
        return _render_form(person, section, record, data, {"files": refused}, 422)
    op_id = request.form.get("op_id", "")
    outcome, errors = _save(person, section, record_id, base, data, op_id)
    if errors:
        return _render_form(person, section, record, data, errors, 422)
    return _after_save(person, section, outcome)


@bp.get("/<slug>/")
@login_required("refugee", "volunteer", "coach")
def section(person_id: str, slug: str):
    """All entries of one section, with their comments and status."""
    person = person_or_404(person_id)
    if slug == "basics":
        return redirect(url_for("profile.basics", person_id=person_id))
    section = section_or_404(slug)
    if section.slug == "steps":
        return redirect(url_for("profile.section", person_id=person_id, slug="plan"))
    store = get_store()
    page = requested_page(store.count_records(person_id).get(section.record_type, 0),
                          SECTION_PAGE)
    profile = load_section(person_id, section.record_type, page)
    totals = hours_totals_of(person_id) if section.record_type == "volunteer" else None
    return render_template("profile/section.html", person=person, section=section,
                           profile=profile, entries=profile["by_type"][section.record_type],
                           totals=totals, page=page)


@bp.route("/<slug>/new", methods=["GET", "POST"])
@login_required("refugee", "volunteer", "coach")
@resubmittable
def new(person_id: str, slug: str):
    """Add an entry. The record id is made here, before the first save."""
    person = person_or_404(person_id)
    section = section_or_404(slug)
    if not can_edit(person):
        abort(403)
    if request.method == "POST":
        record_id = request.form.get("record_id", "")
        existing = get_store().record(record_id) if record_id else None
        return _post_form(person, section, existing, record_id)
    return _render_form(person, section, None, new_entry_data(section.record_type), {})


@bp.route("/<slug>/<record_id>", methods=["GET", "POST"])
@login_required("refugee", "volunteer", "coach")
@resubmittable
def edit(person_id: str, slug: str, record_id: str):
    """Change an entry; the form carries the revision it was based on."""
    person = person_or_404(person_id)
    section = section_or_404(slug)
    record = get_store().record(record_id)
    if (record is None or record["person_id"] != person_id or record["deleted"]
            or record["type"] != section.record_type):
        abort(404)
    if request.method == "POST":
        return _post_form(person, section, record, record_id)
    if not can_edit(person):
        abort(403)  # coaches read entries on the section and review pages
    return _render_form(person, section, record, record["data"], {})


@bp.post("/<slug>/<record_id>/delete")
@login_required("refugee", "volunteer")
def delete(person_id: str, slug: str, record_id: str):
    """Delete an entry (kept in the history, so it can be brought back)."""
    person = person_or_404(person_id)
    section = section_or_404(slug)
    try:
        base = int(request.form.get("base_revision", ""))
    except ValueError:
        abort(400)
    op = Operation(op_id=request.form.get("op_id", ""), person_id=person["id"],
                   record_type=section.record_type, record_id=record_id, action="delete",
                   base_revision=base)
    outcome = apply(get_store(), current_actor(), op)
    if outcome.status == "conflict":
        flash(_("Someone else changed this entry at the same time. Both versions are kept: "
                "choose which one is right."), "error")
    elif is_fragment_request():
        # The entry's card is swapped for this short confirmation.
        return render_template("profile/_deleted.html")
    else:
        flash(_("Deleted."), "success")
    target = "plan" if section.slug == "steps" else section.slug
    return redirect(url_for("profile.section", person_id=person_id, slug=target), 303)


@bp.post("/conflicts/<conflict_id>")
@login_required("refugee", "volunteer", "coach")
def settle_conflict(person_id: str, conflict_id: str):
    """Keep the current version, or take the one that arrived late."""
    person_or_404(person_id)
    keep = request.form.get("keep", "")
    outcome = resolve(get_store(), current_actor(), conflict_id, keep,
                      request.form.get("op_id", ""))
    flash(_("Saved."), "success")
    record = get_store().record(outcome.record_id)
    slug = SECTION_OF_TYPE[record["type"]].slug
    if slug == "basics":
        return redirect(url_for("profile.basics", person_id=person_id), 303)
    return redirect(url_for("profile.section", person_id=person_id,
                            slug="plan" if slug == "steps" else slug), 303)


@bp.get("/pick/<kind>")
@login_required("refugee", "volunteer", "coach")
def pick(person_id: str, kind: str):
    """Search-as-you-type results for the occupation and skill pickers (a fragment)."""
    person_or_404(person_id)
    if kind not in ("occupation", "skill"):
        abort(404)
    query = request.args.get("q", "")[:80]
    field_name = request.args.get("field", "code")
    if field_name not in ("code", "occupation"):
        abort(400)
    results = search_taxonomy(kind, query) if query.strip() else []
    return render_template("profile/_pick_results.html", kind=kind, results=results,
                           query=query, field_name=field_name,
                           selected=request.args.get(field_name, ""))


def search_taxonomy(kind: str, query: str) -> list:
    """Occupations or skills matching ``query`` as the reader types it: the label in
    their language, in Dutch or English, or the search words of their language."""
    return taxonomy.search(kind, query, _, dutch=dutch,
                           words=taxonomy.search_words(str(page_locale())))


def new_op_id() -> str:
    """A fresh idempotency key for a form (made when the form is shown)."""
    return new_id()


# The fields that name an entry, for a change shown before the server has it.
TITLE_FIELDS = {"basics": "display_name", "ambition": "occupation sector note",
                "skill": "code free_text", "language": "language", "education": "field",
                "work": "job_title", "volunteer": "activity", "goal": "title", "step": "text"}


def fields_json(fields: list[Field]) -> str:
    """Field names and how each arrives (text, list or bool: its kind's ``wire``), so the
    offline module reads a form like the server does."""
    return json.dumps([[f.name, f.spec.wire] for f in fields])


def _phone_message(message: tuple) -> str | dict:
    """A core message for the phone: its text, or for a plural its form per CLDR category
    with placeholders left in (the phone fills in the number)."""
    msgid, params = message
    if isinstance(msgid, Plural):
        return {"plural": plural_forms(msgid.singular, msgid.plural), "params": params,
                "number": msgid.number}
    return translate(message)


def phone_checks(record_type: str) -> str:
    """How the phone checks this form before it keeps it offline: each field's kind
    check and the record type's rules, in the reader's language. What the phone
    accepts offline is then what the server accepts (sync/kinds.py, sync/records.py)."""
    spec, today = RECORD_TYPES[record_type], clock.today()
    fields = []
    for f in spec.editable_fields:
        check = f.spec.phone_check(f, today)
        fields.append({
            "name": f.name, "required": f.required,
            "required_message": translate((f.spec.required_message, {})),
            **check, "messages": {k: _phone_message(m)
                                  for k, m in check.get("messages", {}).items()}})
    rules = [{**rule, "message": translate((rule["message"], {}))}
             for rule in (r.as_json() for r in spec.rules) if rule]
    return json.dumps({"fields": fields, "rules": rules}, ensure_ascii=False)


@bp.app_context_processor
def profile_helpers():
    """Things the profile templates need."""
    return {"SECTIONS": SECTIONS, "SECTION_OF_TYPE": SECTION_OF_TYPE, "new_op_id": new_op_id,
            "search_taxonomy": search_taxonomy, "GUIDED_STEPS": GUIDED_STEPS,
            "taxonomy": taxonomy, "RECORD_TYPES": RECORD_TYPES, "TITLE_FIELDS": TITLE_FIELDS,
            "fields_json": fields_json, "phone_checks": phone_checks,
            "singleton_id": singleton_id}
