"""The diploma evaluation (IDW) application of one education entry, for the coach to
send: a printable page in Dutch, and a zip of the papers."""

from __future__ import annotations

import io
import zipfile

from flask import abort, render_template, send_file

from pwa.db import get_store
from pwa.files import file_store
from pwa.i18n import show_page_in
from pwa.security import login_required, person_or_404
from pwa.staff import bp
from sync import export, idw


def _application(person_id: str, record_id: str) -> tuple[dict, idw.Application]:
    person = person_or_404(person_id)
    store = get_store()
    entry = store.record(record_id)
    if (entry is None or entry["person_id"] != person_id or entry["deleted"]
            or entry["type"] != "education"):
        abort(404)
    arrived = store.files_named(person_id, entry["data"].get("files") or [])
    return person, idw.application(entry, store.records(person_id, "education"), arrived)


@bp.get("/people/<person_id>/education/<record_id>/idw")
@login_required("coach")
def idw_application(person_id: str, record_id: str):
    """The application as a page in Dutch: the facts, the papers, what is missing."""
    person, application = _application(person_id, record_id)
    show_page_in("nl")
    return render_template("staff/idw.html", person=person, application=application)


@bp.get("/people/<person_id>/education/<record_id>/idw.zip")
@login_required("coach")
def idw_zip(person_id: str, record_id: str):
    """The entry's papers in one zip, as they are kept (pictures without their metadata)."""
    person, application = _application(person_id, record_id)
    kept = file_store()
    out = io.BytesIO()  # at most ten files of at most FILE_MAX_BYTES each
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for n, row in enumerate(application.files, start=1):
            name = export.file_path(row).removeprefix("files/")
            archive.write(kept.path(person_id, row["blob"]), f"{n:02d}-{name}")
    out.seek(0)
    response = send_file(out, mimetype="application/zip", as_attachment=True,
                         download_name=f"idw-{person['username']}.zip")
    response.headers["Cache-Control"] = "private, no-store"
    return response
