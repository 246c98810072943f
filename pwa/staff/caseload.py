"""The caseload: the refugees of my locations, and what is new to me."""

from __future__ import annotations

from datetime import datetime

from flask import g, render_template, request

from pwa.db import get_store
from pwa.paging import requested_page
from pwa.security import login_required
from pwa.staff import bp

CASELOAD_PAGE = 25  # people a page: a phone's screen or two


def my_locations() -> list[dict]:
    """The places the signed-in staff member works at."""
    return [loc for loc in get_store().locations() if loc["id"] in g.location_ids]


@bp.get("/caseload")
@login_required("volunteer", "coach")
def caseload():
    """The refugees of my locations, searchable; coaches see what is new to them."""
    store = get_store()
    query = request.args.get("q", "").strip()[:80]
    page = requested_page(store.count_people_at(g.location_ids, query), CASELOAD_PAGE)
    people = store.people_at(g.location_ids, query, limit=page.size, offset=page.offset)
    marks: dict[str, str] = {}
    if g.user["role"] == "coach":
        ids = [p["id"] for p in people]
        reviews = store.reviews_by(g.user["id"], ids)
        latest = store.last_seqs_not_by(g.user["id"], ids)
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
    return render_template("staff/caseload.html", rows=rows, query=query, page=page)
