"""Photos and documents over HTTP: chunked uploads from the phone, whole ones from a
form without script, and serving them to those who may see the person's entries.

The upload API is part of the sync API (pwa/offline.py): JSON and a custom header,
no form token, because a photo taken offline may be sent days later.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from pwa.db import get_store
from pwa.i18n import translate
from pwa.offline import json_error, sync_guard
from pwa.security import CSP, current_actor, header_guarded, login_required, person_or_404
from sync import files
from sync.files import FileRefused, FileStore, Limits
from sync.kinds import FILES_PER_ENTRY, LANGUAGE_NAME_KEYS, too_many_files
from sync.records import RECORD_TYPES, SUMMARY, VOICE
from sync.write import is_uuid

bp = Blueprint("files", __name__)

# The field of a form without script that carries new files (the entry's ``files``
# field carries the ids of those it has).
UPLOAD_FIELD = "add_files"
# Endpoints whose forms may carry files, and so a larger body.
FORM_ENDPOINTS = ("profile.new", "profile.edit")


def file_store() -> FileStore:
    """The folder of people's files (FILES_DIR)."""
    return FileStore(current_app.config["FILES_DIR"])


def limits() -> Limits:
    config = current_app.config
    return Limits(file_bytes=config["FILE_MAX_BYTES"], person_bytes=config["FILES_MAX_PER_PERSON"])


def refusal(error: FileRefused) -> str:
    """Why a file was refused, in the reader's language."""
    return translate((error.message, error.params))


def _answer(error: FileRefused):
    # ``code``: the phone sends a file again after "Changed" or "UnknownUpload", and
    # keeps it with the reason after any other.
    return json_error(error.status, refusal(error), code=type(error).__name__, **error.params)


@bp.post("/sync/files")
@header_guarded
def begin_upload():
    """Announce a file (its id, size and name): where its upload stands."""
    if (refused := sync_guard()) is not None:
        return refused
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("person"), str):
        return json_error(400, _("The request was not valid."))
    try:
        state = files.begin_upload(get_store(), file_store(), current_actor(), body["person"],
                                   body.get("id"), body.get("size"), body.get("name"),
                                   limits(), seconds=body.get("seconds"),
                                   language=body.get("language"))
    except FileRefused as error:
        return _answer(error)
    return jsonify(state)


@bp.route("/sync/files/<person_id>/<file_id>", methods=["PATCH"])
@header_guarded
def upload_chunk(person_id: str, file_id: str):
    """One chunk of a file, at the offset its ``Upload-Offset`` header names."""
    if (refused := sync_guard()) is not None:
        return refused
    offset = request.headers.get("Upload-Offset", "")
    if not (offset.isascii() and offset.isdigit()) or len(offset) > 12:
        return json_error(400, _("The request was not valid."))
    try:
        state = files.receive_chunk(get_store(), file_store(), current_actor(), person_id,
                                    file_id, int(offset), request.get_data(), limits())
    except FileRefused as error:
        return _answer(error)
    return jsonify(state)


def _sent(person_id: str, file_id: str, preview: bool):
    person_or_404(person_id)
    row = files.file_for(get_store(), current_actor(), person_id, file_id)
    if row is None or (preview and not row["preview"]):
        abort(404)
    digest = row["preview"] if preview else row["blob"]
    media_type = "image/jpeg" if preview else row["media_type"]
    name = (row["name"] or "").rsplit(".", 1)[0] or file_id[:12]
    response = send_file(file_store().path(person_id, digest), mimetype=media_type,
                         as_attachment=media_type == "application/pdf",
                         download_name=name + files.EXTENSIONS[media_type],
                         etag=digest, conditional=True, max_age=0)
    # A person's document: never in a shared cache or a shared tablet's browser cache,
    # never taken for another type, never run (a PDF is downloaded, not shown here).
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = CSP + "; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/people/<person_id>/files/<file_id>")
@login_required("refugee", "volunteer", "coach")
def original(person_id: str, file_id: str):
    """A file as kept (a picture drawn anew, a PDF as it came)."""
    return _sent(person_id, file_id, preview=False)


@bp.get("/people/<person_id>/files/<file_id>/preview")
@login_required("refugee", "volunteer", "coach")
def preview(person_id: str, file_id: str):
    """A picture's small preview (what the phone keeps offline)."""
    return _sent(person_id, file_id, preview=True)


@bp.post("/people/<person_id>/files/<file_id>/seen")
@login_required("coach")
def seen_original(person_id: str, file_id: str):
    """A coach saw the paper original of this document."""
    person_or_404(person_id)
    try:
        files.mark_seen(get_store(), current_actor(), person_id, file_id)
    except FileRefused:
        abort(404)
    flash(_("Noted: you saw the original."), "success")
    back = request.form.get("entry", "")
    anchor = f"entry-{back}" if is_uuid(back) else None
    return redirect(url_for("staff.review", person_id=person_id, _anchor=anchor), 303)


def add_from_form(person_id: str, kept: list[str]) -> tuple[list[str], str | None]:
    """Keep the files a form sent whole (no script on the phone): the entry's file ids
    with theirs added, or the reason one was refused (then nothing is added)."""
    uploads = [f for f in request.files.getlist(UPLOAD_FIELD) if f and f.filename]
    if not uploads:
        return kept, None
    if len(set(kept)) + len(uploads) > FILES_PER_ENTRY:
        return kept, translate(too_many_files())
    added = []
    for upload in uploads:
        # One byte over the limit is enough to refuse: never read a huge file whole.
        content = upload.stream.read(limits().file_bytes + 1)
        try:
            added.append(files.add_whole(get_store(), file_store(), current_actor(),
                                         person_id, content, upload.filename, limits()))
        except FileRefused as error:
            return kept, refusal(error)
    return list(dict.fromkeys([*kept, *added])), None


def _room_for_form_files() -> None:
    # A form with files is larger than any other request: only those forms get the room.
    if request.endpoint in FORM_ENDPOINTS and request.mimetype == "multipart/form-data":
        request.max_content_length = (current_app.config["FILE_MAX_BYTES"] * FILES_PER_ENTRY
                                      + 256 * 1024)


def init_app(app: Flask) -> None:
    """Give file forms their room before anything reads the body (the CSRF check does)."""
    app.before_request(_room_for_form_files)
    app.jinja_env.globals.update(file_upload_field=UPLOAD_FIELD, entry_files=entry_files,
                                 FILES_PER_ENTRY=FILES_PER_ENTRY,
                                 VOICE_SECONDS=Limits.voice_seconds,
                                 spoken_language=spoken_language, voice_answers=voice_answers,
                                 too_many_files=lambda: translate(too_many_files()))


# The interface locales whose spoken language has another code (Dari is "prs").
_SPOKEN = {locale: code for code, locale in LANGUAGE_NAME_KEYS.items()}


def spoken_language() -> str:
    """The language a voice answer is taken to be spoken in: the page's own."""
    code = str(get_locale())
    return _SPOKEN.get(code, code.split("_")[0])


def voice_answers(record: dict) -> list[dict]:
    """An entry's voice answers: beside which field (its label), the recording's row
    (None while it is on its way) and the coach's summary in Dutch."""
    fields = [f for f in RECORD_TYPES[record["type"]].fields
              if f.kind == "voice" and record["data"].get(f.name)]
    if not fields:
        return []
    ids = [record["data"][f.name] for f in fields]
    arrived = get_store().files_named(record["person_id"], ids)
    rtype = RECORD_TYPES[record["type"]]
    return [{"field": f.name.removesuffix(VOICE), "file_id": file_id,
             "label": rtype.field(f.name.removesuffix(VOICE)).label, "row": arrived.get(file_id),
             "summary": record["data"].get(f.name.removesuffix(VOICE) + SUMMARY)}
            for f, file_id in zip(fields, ids, strict=True)]


def entry_files(person_id: str, file_ids: list[str]) -> dict[str, dict]:
    """Which of an entry's files arrived (the others are still on a phone)."""
    return get_store().files_named(person_id, list(file_ids or []))
