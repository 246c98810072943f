"""The coach's review of a profile: what changed, comments, verdicts on hours."""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from pwa.db import get_store
from pwa.i18n import format_day, translate
from pwa.offline import last_change
from pwa.paging import requested_page
from pwa.privacy import erasure_notice
from pwa.profile import SECTIONS, hours_totals_of, with_context
from pwa.security import current_actor, login_required, person_or_404
from pwa.staff import bp
from pwa.staff.entries import entry_rows, review_marks, written_in
from sync import erasure, moves, shares
from sync.records import RECORD_TYPES, SUMMARY, VOICE, ValidationFailed
from sync.write import Operation, apply, mark_reviewed, new_id, singleton_id

REVIEW_PAGE = 10  # entries of each section on one review page


def _review_context(person: dict) -> dict:
    """What the review shows: each section a page at a time, what others changed since
    my last review first (newest change first), then the rest; and how much changed
    where. Work per page stays the same however many entries the person has."""
    store = get_store()
    person_id, me = person["id"], g.user["id"]
    # The change this page shows (read before the entries): the page's own sync then
    # knows the coach's just-made change is on it, and does not reload the page, and
    # its message, away.
    g.page_seq = last_change(person_id)
    review = store.review(me, person_id)
    since = review["reviewed_seq"] if review else 0
    counts = store.count_records(person_id)
    changed: dict[str, list[str]] = {}
    # Never reviewed: everything is new to me and the list order stands (no need to
    # read the person's whole history to say so).
    for change in store.changed_since(person_id, since, me) if review else ():
        changed.setdefault(change["type"], []).append(change["record_id"])
    asked = request.args.get("section")
    sections, entries = [], []
    for section in SECTIONS.values():
        if not section.in_overview:
            continue
        record_type = section.record_type
        # The changed entries that still exist come first, then the rest in list order:
        # a page is read with LIMIT, never by listing every entry's id.
        changed_live = store.records_by_ids(person_id, changed.get(record_type, []))
        first = [rec["id"] for rec in changed_live]
        page = requested_page(counts.get(record_type, 0), REVIEW_PAGE,
                              asked=asked == section.slug)
        listed = changed_live[page.offset:page.offset + page.size]
        if len(listed) < page.size:
            listed += store.records_page(
                person_id, record_type, limit=page.size - len(listed),
                offset=max(0, page.offset - len(first)), leave_out=first)
        news = len(first) if review else counts.get(record_type, 0)
        sections.append({"section": section, "page": page, "entries": listed,
                         "changed": news})
        entries += listed
    goals = [rec["id"] for rec in entries if rec["type"] == "goal"]
    steps: dict[str, list[dict]] = {}
    for step in store.records_about(person_id, "step", "goal_id", goals):
        steps.setdefault(step["data"]["goal_id"], []).append(step)
    all_steps = [s for ss in steps.values() for s in ss]
    ids = [rec["id"] for rec in entries + all_steps]
    comments = store.records_about(person_id, "comment", "record_id", ids)
    by_type = {t: [] for t in RECORD_TYPES}
    by_type.update(volunteer=[r for r in entries if r["type"] == "volunteer"], step=all_steps)
    profile = with_context(store, person_id, by_type, comments)
    marks = review_marks(store.changed_since(
        person_id, since, me, record_ids=ids + [c["id"] for c in comments]))  # this page's
    basics = store.record(singleton_id(person_id, "basics"))
    return {"person": person, "profile": profile, "review": review, "marks": marks,
            "review_sections": sections,
            "news_total": sum(item["changed"] for item in sections),
            "basics": basics, "steps": steps, "written_in": written_in(person),
            "totals": hours_totals_of(person_id),
            "entry_rows": entry_rows, "new_op_id": new_id, "parse_time": datetime.fromisoformat,
            "sessions": store.session_count(person_id),
            "erasure": erasure_notice(person_id), "move": store.pending_move(person_id),
            "shares": store.shares_of(person_id), "share_sections": shares.SECTIONS,
            "section_choices": [(key, _(label)) for key, (label, _t) in shares.SECTIONS.items()],
            "housing": store.consent_in_force(person_id, shares.HOUSING),
            "max_days": shares.MAX_DAYS, "share_defaults": shares.default_form(),
            "places": [p for p in store.locations() if p["id"] != person["location_id"]]}


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


@bp.post("/people/<person_id>/comments/<comment_id>/delete")
@login_required("coach")
def delete_comment(person_id: str, comment_id: str):
    """Take back one of my comments (the write path refuses anyone else's)."""
    person_or_404(person_id)
    comment = get_store().record(comment_id)
    if (comment is None or comment["person_id"] != person_id or comment["type"] != "comment"
            or comment["deleted"]):
        abort(404)
    try:
        base = int(request.form.get("base_revision", ""))
    except ValueError:
        abort(400)
    op = Operation(op_id=_op_id(), person_id=person_id, record_type="comment",
                   record_id=comment_id, action="delete", base_revision=base)
    outcome = apply(get_store(), current_actor(), op)
    if outcome.status == "conflict":
        flash(_("Someone else changed this entry at the same time. Both versions are kept: "
                "choose which one is right."), "error")
    else:
        flash(_("Your comment is deleted."), "success")
    return _back_to(person_id, comment["data"]["record_id"])


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




@bp.post("/people/<person_id>/records/<record_id>/voice-summary")
@login_required("coach")
def voice_summary(person_id: str, record_id: str):
    """Write, beside a voice answer, what it says in Dutch."""
    person = person_or_404(person_id)
    record = _own_record(person_id, record_id)
    field = request.form.get("field", "")
    spec = RECORD_TYPES[record["type"]].field(field + SUMMARY) if field else None
    if spec is None or not record["data"].get(field + VOICE):
        abort(400)
    summary = request.form.get(f"summary-{field}-{record_id}", "")
    try:
        base = int(request.form.get("base_revision", ""))
    except ValueError:
        abort(400)
    op = Operation(op_id=_op_id(), person_id=person_id, record_type=record["type"],
                   record_id=record_id, action="put", base_revision=base,
                   fields={spec.name: summary.strip() or None})
    try:
        outcome = apply(get_store(), current_actor(), op)
    except ValidationFailed as failure:
        errors = {"summary-" + field: translate(next(iter(failure.errors.values())))}
        return _render_review(person, errors={record_id: errors},
                              values={record_id: {"summary-" + field: summary}}, status=422)
    if outcome.status == "conflict":
        flash(_("Someone else changed this entry at the same time. Both versions are kept: "
                "choose which one is right."), "error")
    else:
        flash(_("Your summary is saved."), "success")
    return _back_to(person_id, record_id)


@bp.post("/people/<person_id>/reviewed")
@login_required("coach")
def reviewed(person_id: str):
    """Remember that I have seen everything up to now."""
    person_or_404(person_id)
    mark_reviewed(get_store(), current_actor(), person_id)
    flash(_("Marked as reviewed."), "success")
    return redirect(url_for("staff.caseload"), 303)


@bp.post("/people/<person_id>/erasure")
@login_required("coach")
def ask_erasure(person_id: str):
    """Ask for the person's profile to be deleted, with a reason the person reads; they
    can stop it within the grace period."""
    person = person_or_404(person_id)
    reason = request.form.get("reason", "")
    try:
        asked = erasure.ask(get_store(), current_actor(), person_id, reason=reason,
                            grace_days=current_app.config["ERASURE_GRACE_DAYS"])
    except erasure.ErasureRefused as refused:
        return _render_review(person, errors={"erasure": {"reason": translate(
            (refused.message, refused.params))}}, values={"erasure": {"reason": reason}},
            status=422)
    flash(_("The profile will be deleted on %(date)s. %(name)s sees why, and can stop it.",
            date=format_day(asked["due_on"]), name=person["display_name"]), "success")
    return redirect(url_for("staff.review", person_id=person_id, _anchor="erasure-title"), 303)


@bp.post("/people/<person_id>/erasure/stop")
@login_required("coach")
def stop_erasure(person_id: str):
    """Stop a deletion that was asked for."""
    return _take_back(person_id, lambda: erasure.stop(get_store(), current_actor(), person_id),
                      _("The profile will not be deleted."), "erasure-title")


def _take_back(person_id: str, undo, done: str, anchor: str):
    """Undo what waits for the person's answer (``undo``), and say so on the review."""
    person_or_404(person_id)
    try:
        undo()
    except (erasure.ErasureRefused, moves.MoveRefused) as refused:
        flash(translate((refused.message, getattr(refused, "params", {}))), "error")
    else:
        flash(done, "success")
    return redirect(url_for("staff.review", person_id=person_id, _anchor=anchor), 303)


@bp.post("/people/<person_id>/move")
@login_required("coach")
def propose_move(person_id: str):
    """Propose moving the profile to the person's new place; it moves when they confirm."""
    person = person_or_404(person_id)
    try:
        move = moves.propose(get_store(), current_actor(), person_id,
                             request.form.get("to_location", ""))
    except moves.MoveRefused as refused:
        return _render_review(person, errors={"move": {"to_location": _(refused.message)}},
                              status=422)
    flash(_("%(name)s is asked to confirm the move to %(place)s.", name=person["display_name"],
            place=get_store().location(move["to_location"])["name"]), "success")
    return redirect(url_for("staff.review", person_id=person_id, _anchor="move-title"), 303)


@bp.post("/people/<person_id>/move/withdraw")
@login_required("coach")
def withdraw_move(person_id: str):
    """Take back a move that waits for the person's answer."""
    return _take_back(person_id, lambda: moves.withdraw(get_store(), current_actor(), person_id),
                      _("The move is taken back."), "move-title")


@bp.post("/people/<person_id>/share")
@login_required("coach")
def propose_share(person_id: str):
    """Propose sharing part of the profile (with an employer the coach found, say); it
    counts only when the person agrees on their own device."""
    person = person_or_404(person_id)
    values = {name: request.form.getlist(name) for name in
              ("audience", "sections", "named", "free_text", "contact", "expires_on")}
    try:
        share = shares.propose(get_store(), current_actor(), person_id, shares.check(values))
    except shares.ShareRefused as refused:
        return _render_review(person, errors={"share": {
            k: translate(v) for k, v in refused.errors.items()}},
            values={"share": values}, status=422)
    flash(_("%(name)s is asked to agree to sharing with %(audience)s.",
            name=person["display_name"], audience=share["audience"]), "success")
    return redirect(url_for("staff.review", person_id=person_id, _anchor="share-title"), 303)
