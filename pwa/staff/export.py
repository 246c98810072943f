"""The volunteer hours of a location in a period, as a spreadsheet (CSV, in Dutch)."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, g, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _

from pwa.db import get_store
from pwa.i18n import choice_label, show_page_in, translate
from pwa.privacy import note_views
from pwa.security import login_required
from pwa.staff import bp
from pwa.staff.caseload import my_locations
from sync import clock
from sync.hours import PeriodError, check_period

# Characters that make a spreadsheet treat a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
                           errors=errors, locations=my_locations()), status


@bp.get("/locations/<location_id>/hours")
@login_required("coach")
def hours_export(location_id: str):
    """Choose a period to download the volunteer hours of a location."""
    location = _coach_location(location_id)
    today = clock.today()
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
    show_page_in("nl")
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
    # Everyone in the file sees in their log that their hours were downloaded.
    note_views(list(dict.fromkeys(rec["person_id"] for rec in records)), "export")
    filename = f"vrijwilligersuren-{start.isoformat()}-{end.isoformat()}.csv"
    # The BOM tells Excel the file is UTF-8, so names in Arabic or Tigrinya survive.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
