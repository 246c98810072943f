"""Read aloud: recorded audio for texts in languages phones have no voice for.

A text on a page that can be read aloud carries ``data-say`` (``say`` below); the
phone offers a speaker button when it has a voice for the page's language
(static/js/readaloud.js), or when someone recorded the text: then the page also
carries ``data-audio``, the recording's address, and that is played instead.

Recordings are files under ``translations/<locale>/audio/``, one per translated text,
named by the text (``recording_key``: the first 16 hex digits of its SHA-256, so a
changed translation needs a new recording), as Opus, Ogg, MP3 or WAV.
``talentkaart recordings LOCALE`` lists the texts of a locale that have none yet.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, g, send_from_directory, url_for
from markupsafe import Markup

from pwa import ROOT
from pwa.i18n import reader
from sync import locales

bp = Blueprint("read_aloud", __name__)

# File endings of recordings and what they are (the browser plays all four).
AUDIO_TYPES = {".opus": "audio/ogg", ".ogg": "audio/ogg", ".mp3": "audio/mpeg",
               ".wav": "audio/wav"}
_NAME = re.compile(r"^[0-9a-f]{16}\.(opus|ogg|mp3|wav)$")


def recording_key(text: str) -> str:
    """The name (without its ending) of the recording of ``text``."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:16]


def recordings_dir() -> Path:
    return Path(current_app.config.get("RECORDINGS") or ROOT / "translations")


def recordings(locale: str) -> dict[str, str]:
    """The recordings of ``locale``: key -> file name (read once per app)."""
    found = current_app.extensions.setdefault("talentkaart_recordings", {})
    if locale not in found:
        folder = recordings_dir() / locale / "audio"
        found[locale] = {path.stem: path.name for path in sorted(folder.glob("*"))
                         if _NAME.match(path.name)} if folder.is_dir() else {}
    return found[locale]


def recordings_mark(locale: str) -> str:
    """Which recordings a locale has: kept pages are drawn again when that changes."""
    return ",".join(recordings(locale).values())


_SAY = Markup(" data-say")


def say(text: str) -> Markup:
    """The attributes of an element whose ``text`` can be read aloud. A page marks a few
    dozen texts: the locale's recordings are looked up once a request, and without any
    (most locales, for now) nothing is hashed."""
    page = g.get("read_aloud")
    if page is None:
        locale = reader().code
        page = g.read_aloud = (locale, recordings(locale))
    locale, recorded = page
    name = recorded.get(recording_key(str(text))) if recorded and text else None
    if name is None:
        return _SAY
    return Markup(' data-say data-audio="%s"') % url_for(
        "read_aloud.recording", locale=locale, name=name)


@bp.get("/audio/<locale>/<name>")
def recording(locale: str, name: str):
    """A recording, for everyone (the texts are the app's own), kept by the phone."""
    if locale not in locales.CODES or not _NAME.match(name):
        abort(404)
    response = send_from_directory(recordings_dir() / locale / "audio", name,
                                   mimetype=AUDIO_TYPES[Path(name).suffix], max_age=86400)
    response.headers["Content-Disposition"] = "inline"
    return response


def missing(locale: str, texts: list[str]) -> list[str]:
    """Which of a locale's ``texts`` have no recording yet."""
    have = recordings(locale)
    return [text for text in texts if recording_key(text) not in have]


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["say"] = say
