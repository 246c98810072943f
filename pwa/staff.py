"""Pages for volunteers and coaches: caseload, new accounts, review, talent card, export.

Staff only ever see refugees of their own locations (``g.location_ids``);
every change to a profile goes through ``sync.write.apply``, so comments and
verified hours are versioned and logged like the person's own entries.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import flask_babel
import segno
from babel.lists import format_list
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from pwa.db import get_store
from pwa.i18n import choice_label, code_label, country_name, language_name, locale_name, translate
from pwa.profile import SECTIONS, advice_for, load_profile
from pwa.security import current_actor, login_required, person_or_404
from sync import accounts
from sync.hours import PeriodError, check_period, hours_totals
from sync.records import INTERFACE_LOCALES, RECORD_TYPES, Field, ValidationFailed
from sync.write import Operation, apply, mark_reviewed, new_id

bp = Blueprint("staff", __name__)

# Characters that make a spreadsheet treat a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TALENT_CARD_SKILLS = 8


# -- showing profile entries --------------------------------------------------


def show_value(record_type: str, f: Field, value) -> str | None:
    """A stored value as the reader reads it, in their language; None when empty."""
    if value is None or value == "" or value == [] or value is False:
        return None
    kind = f.kind
    if kind == "choice":
        return choice_label(record_type, f.name, value)
    if kind == "multi":
        labels = [choice_label(record_type, f.name, v) for v in value]
        return format_list(labels, locale=get_locale())
    if kind == "bool":
        return _("Yes")
    if kind.startswith("code:"):
        return code_label(kind[5:], value)
    if kind == "language":
        return language_name(value)
    if kind == "country":
        return country_name(value)
    if kind == "locale":
        return locale_name(value)
    if kind == "location":
        place = get_store().location(value)
        return place["name"] if place else value
    if kind == "date":
        return format_date(date.fromisoformat(value), "medium")
    if kind == "month":
        return format_date(date.fromisoformat(f"{value}-01"), "LLLL y")
    if kind == "hours":
        return format_decimal(value)
    if kind.startswith("ref:"):
        return None  # shown by nesting (steps under goals, comments under entries)
    return str(value)


def entry_rows(record: dict) -> list[dict]:
    """The filled-in fields of an entry: label, shown value, and whether it is free text.

    Free text is the person's own words: templates put it in ``<bdi dir="auto">``.
    """
    rows = []
    for f in RECORD_TYPES[record["type"]].fields:
        if f.staff_only:
            continue
        shown = show_value(record["type"], f, record["data"].get(f.name))
        if shown is not None:
            rows.append({"name": f.name, "label": _(f.label), "value": shown,
                         "free": f.kind in ("text", "longtext")})
    return rows


def review_marks(changes: list[dict], staff_id: str) -> dict[str, str]:
    """record id -> "new" or "changed", for changes others made after a review."""
    marks: dict[str, str] = {}
    for change in changes:
        if change["actor_id"] == staff_id:
            continue  # a coach's own comments and checks are not news to them
        if change["action"] == "create":
            marks[change["record_id"]] = "new"
        else:
            marks.setdefault(change["record_id"], "changed")
    return marks


def written_in(basics: dict | None) -> str:
    """The name of the language the person uses the app in, for "Written in: ..."."""
    code = basics["data"].get("preferred_language") if basics else None
    return language_name(code) if code else ""


# -- caseload -------------------------------------------------------------------


@bp.get("/caseload")
@login_required("volunteer", "coach")
def caseload():
    """The refugees of my locations, searchable; coaches see what is new to them."""
    store = get_store()
    query = request.args.get("q", "").strip()[:80]
    people = store.people_at(g.location_ids, query)
    marks: dict[str, str] = {}
    if g.user["role"] == "coach":
        reviews = store.reviews_by(g.user["id"])
        latest = store.last_seqs_not_by(g.user["id"], [p["id"] for p in people])
        for person in people:
            newest = latest.get(person["id"])
            review = reviews.get(person["id"])
            if newest and review is None:
                marks[person["id"]] = "new"
            elif newest and newest > review["reviewed_seq"]:
                marks[person["id"]] = "changed"
    rows = [{"person": p, "mark": marks.get(p["id"]),
             "changed": datetime.fromisoformat(p["last_change_at"])
             if p["last_change_at"] else None} for p in people]
    return render_template("staff/caseload.html", rows=rows, query=query)


# -- new accounts and handover codes -----------------------------------------------


def _my_locations() -> list[dict]:
    store = get_store()
    return [loc for loc in store.locations() if loc["id"] in g.location_ids]


@bp.route("/people/new", methods=["GET", "POST"])
@login_required("volunteer", "coach")
def new_person():
    """Create a refugee account at one of my locations and show its handover code."""
    locations = _my_locations()
    form = {"display_name": request.form.get("display_name", ""),
            "username": request.form.get("username", ""),
            "location_id": request.form.get("location_id", ""),
            "locale": request.form.get("locale", "")}
    if request.method == "GET":
        form["location_id"] = locations[0]["id"] if len(locations) == 1 else ""
        form["locale"] = str(get_locale())
        return render_template("staff/new_person.html", form=form, errors={},
                               locations=locations)
    store = get_store()
    # A place that is not mine counts as no place: create_user then asks to choose one.
    location_id = form["location_id"] if form["location_id"] in g.location_ids else None
    try:
        user_id = accounts.create_user(
            store, role="refugee", username=form["username"],
            display_name=form["display_name"], location_id=location_id,
            created_by=g.user["id"],
            locale=form["locale"] if form["locale"] in INTERFACE_LOCALES else "nl")
    except accounts.AccountError as failure:
        errors = {k: translate(v) for k, v in failure.errors.items()}
        return render_template("staff/new_person.html", form=form, errors=errors,
                               locations=locations), 422
    return _handover_page(store.user(user_id), created=True)


@bp.post("/people/<person_id>/handover")
@login_required("volunteer", "coach")
def new_handover_code(person_id: str):
    """A new one-time code for an existing refugee (lost phone, forgotten PIN)."""
    person = person_or_404(person_id)
    return _handover_page(person, created=False)


def qr_svg(url: str, title: str) -> Markup:
    """A QR code of ``url`` as inline SVG; segno escapes the title, the rest is ours."""
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=4, dark="#000", light="#fff", omitsize=True, title=title,
                        svgclass="qr-code")
    # Our own markup, with the title escaped by segno: safe to put in the page.
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704


def _handover_page(person: dict, created: bool) -> Response:
    store = get_store()
    code = accounts.new_handover_code(store, person["id"], g.user["id"])
    url = url_for("auth.handover", code=code, _external=True)
    html = render_template(
        "staff/handover_code.html", person=person, created=created,
        code=accounts.format_code(code), url=url,
        qr=qr_svg(url, _("QR code to open Talentkaart on your own phone")),
        days=accounts.HANDOVER_DAYS)
    response = Response(html)
    # The code works once: it must not stay in a cache or the back/forward history.
    response.headers["Cache-Control"] = "no-store"
    return response


# -- review ---------------------------------------------------------------------------


def _review_context(person: dict) -> dict:
    store = get_store()
    profile = load_profile(person["id"])
    review = store.review(g.user["id"], person["id"])
    changes = store.changes_since(person["id"], review["reviewed_seq"] if review else 0)
    marks = review_marks(changes, g.user["id"])
    if review is None:
        # Never reviewed: everything someone else entered is new to me.
        marks = {rid: "new" for rid, mark in marks.items()}
    basics = next(iter(profile["by_type"]["basics"]), None)
    steps: dict[str, list[dict]] = {}
    for step in profile["by_type"]["step"]:
        steps.setdefault(step["data"]["goal_id"], []).append(step)
    return {"person": person, "profile": profile, "review": review, "marks": marks,
            "basics": basics, "steps": steps, "written_in": written_in(basics),
            "sections": [s for s in SECTIONS.values() if s.in_overview],
            "totals": hours_totals(profile["by_type"]["volunteer"]),
            "entry_rows": entry_rows, "new_op_id": new_id, "parse_time": datetime.fromisoformat,
            "last_change": store.last_seq(person["id"])}


def _render_review(person: dict, errors: dict | None = None, values: dict | None = None,
                   status: int = 200):
    return render_template("staff/review.html", errors=errors or {}, values=values or {},
                           **_review_context(person)), status


@bp.get("/people/<person_id>/review")
@login_required("coach")
def review(person_id: str):
    """Everything the person recorded, with what changed since my last review."""
    return _render_review(person_or_404(person_id))


def _own_record(person_id: str, record_id: str, record_type: str | None = None) -> dict:
    record = get_store().record(record_id)
    if (record is None or record["person_id"] != person_id or record["deleted"]
            or record["type"] == "comment"
            or (record_type and record["type"] != record_type)):
        abort(404)
    return record


def _op_id() -> str:
    """The form's idempotency key (a double submit saves once), or a fresh one."""
    return request.form.get("op_id") or new_id()


def _back_to(person_id: str, record_id: str):
    return redirect(url_for("staff.review", person_id=person_id, _anchor=f"entry-{record_id}"),
                    303)


@bp.post("/people/<person_id>/records/<record_id>/comments")
@login_required("coach")
def add_comment(person_id: str, record_id: str):
    """A coach's comment on one entry; the person sees it next to the entry."""
    person = person_or_404(person_id)
    _own_record(person_id, record_id)
    body = request.form.get("body", "")
    op = Operation(op_id=_op_id(), person_id=person_id, record_type="comment",
                   record_id=new_id(), action="put", base_revision=0,
                   fields={"record_id": record_id, "body": body})
    try:
        apply(get_store(), current_actor(), op)
    except ValidationFailed as failure:
        message = failure.errors.get("body") or next(iter(failure.errors.values()))
        return _render_review(person, errors={record_id: {"body": translate(message)}},
                              values={record_id: {"body": body}}, status=422)
    flash(_("Your comment is saved."), "success")
    return _back_to(person_id, record_id)


@bp.post("/people/<person_id>/hours/<record_id>/status")
@login_required("coach")
def hours_status(person_id: str, record_id: str):
    """Verify volunteer hours, or question them with a reason."""
    person = person_or_404(person_id)
    record = _own_record(person_id, record_id, "volunteer")
    status = request.form.get("status", "")
    reason = request.form.get("reason", "")
    if status not in ("verified", "questioned"):
        abort(400)
    try:
        base = int(request.form.get("base_revision", ""))
    except ValueError:
        abort(400)
    if base != record["revision"]:
        # A check is about the hours the coach saw: never apply it to changed hours.
        flash(_("These hours were changed after you opened the page. Check them again."),
              "error")
        return _back_to(person_id, record_id)
    op = Operation(op_id=_op_id(), person_id=person_id, record_type="volunteer",
                   record_id=record_id, action="put", base_revision=base,
                   fields={"status": status, "status_reason": reason.strip() or None})
    try:
        outcome = apply(get_store(), current_actor(), op)
    except ValidationFailed as failure:
        errors = {("reason" if k == "status_reason" else k): translate(v)
                  for k, v in failure.errors.items()}
        return _render_review(person, errors={record_id: errors},
                              values={record_id: {"reason": reason}}, status=422)
    if outcome.status == "conflict":
        flash(_("Someone else changed this entry at the same time. Both versions are kept: "
                "choose which one is right."), "error")
    elif status == "verified":
        flash(_("The hours are verified."), "success")
    else:
        flash(_("The hours are questioned. The person sees your reason."), "success")
    return _back_to(person_id, record_id)


@bp.post("/people/<person_id>/reviewed")
@login_required("coach")
def reviewed(person_id: str):
    """Remember that I have seen everything up to now."""
    person_or_404(person_id)
    mark_reviewed(get_store(), current_actor(), person_id)
    flash(_("Marked as reviewed."), "success")
    return redirect(url_for("staff.caseload"), 303)


# -- talent card ---------------------------------------------------------------------------


@bp.get("/people/<person_id>/talent-card")
@login_required("volunteer", "coach")
def talent_card(person_id: str):
    """A one-page summary for employers and municipalities, always in Dutch."""
    person = person_or_404(person_id)
    g.force_locale = "nl"
    flask_babel.refresh()
    profile = load_profile(person_id)
    by_type = profile["by_type"]
    basics = next(iter(by_type["basics"]), None)
    skills = sorted(by_type["skill"], key=lambda r: r["data"].get("level") or "",
                    reverse=True)[:TALENT_CARD_SKILLS]
    languages = sorted(by_type["language"],
                       key=lambda r: (not r["data"].get("mother_tongue"),
                                      language_name(r["data"].get("language")).casefold()))
    steps: dict[str, list[dict]] = {}
    for step in by_type["step"]:
        steps.setdefault(step["data"]["goal_id"], []).append(step)
    goals = [goal for goal in by_type["goal"] if goal["data"].get("status") != "stopped"]
    location = get_store().location(person["location_id"]) if person["location_id"] else None
    return render_template(
        "staff/talent_card.html", person=person, basics=basics, location=location,
        advice=advice_for(basics) if basics else None, ambitions=by_type["ambition"], skills=skills,
        languages=languages, education=by_type["education"], work=by_type["work"],
        goals=goals, steps=steps, totals=hours_totals(by_type["volunteer"]),
        show_value=show_value, field_of=lambda t, n: RECORD_TYPES[t].field(n),
        today=date.today())


# -- export of volunteer hours ----------------------------------------------------------------


def csv_cell(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def _coach_location(location_id: str) -> dict:
    location = get_store().location(location_id)
    if location is None or location_id not in g.location_ids:
        abort(404)
    return location


def _render_export(location: dict, form: dict, errors: dict, status: int = 200):
    return render_template("staff/hours_export.html", location=location, form=form,
                           errors=errors, locations=_my_locations()), status


@bp.get("/locations/<location_id>/hours")
@login_required("coach")
def hours_export(location_id: str):
    """Choose a period to download the volunteer hours of a location."""
    location = _coach_location(location_id)
    today = date.today()
    form = {"from": request.args.get("from") or today.replace(day=1).isoformat(),
            "to": request.args.get("to") or today.isoformat()}
    return _render_export(location, form, {})


@bp.get("/locations/<location_id>/hours.csv")
@login_required("coach")
def hours_csv(location_id: str):
    """The volunteer hours of a location in a period, as CSV for Excel (Dutch)."""
    location = _coach_location(location_id)
    form = {"from": request.args.get("from", ""), "to": request.args.get("to", "")}
    try:
        start, end = check_period(form["from"], form["to"])
    except PeriodError as failure:
        errors = {k: translate(v) for k, v in failure.errors.items()}
        return _render_export(location, form, errors, 422)
    records = get_store().volunteer_hours_at(location_id, start.isoformat(), end.isoformat())
    g.force_locale = "nl"
    flask_babel.refresh()
    out = io.StringIO()
    # Dutch Excel splits on semicolons (the comma is the decimal sign there).
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Name"), _("Username"), _("Date"), _("Organisation"), _("Activity"),
                     _("Hours"), _("Status"), _("Reason")])
    for rec in records:
        data = rec["data"]
        writer.writerow([csv_cell(v) for v in (
            rec["display_name"], rec["username"], data.get("date"), data.get("organisation"),
            data.get("activity"), format_decimal(data.get("hours") or 0),
            choice_label("volunteer", "status", data.get("status") or "self_reported"),
            data.get("status_reason"))])
    filename = f"vrijwilligersuren-{start.isoformat()}-{end.isoformat()}.csv"
    # The BOM tells Excel the file is UTF-8, so names in Arabic or Tigrinya survive.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
