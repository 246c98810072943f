"""Photos and documents that prove what a person can do: diplomas, grade lists,
certificates, reference letters, photos of work done.

A file is named by the SHA-256 of the bytes the phone sends (its id), so sending it
twice makes one file and an entry can name it before it arrives. It arrives whole
(a form without script) or in chunks that resume where a dropped connection left
them. Only when the last byte is in is it checked: the hash must match, its type is
read from its content (JPEG, PNG, WebP or PDF), and a picture is drawn anew so that
nothing but the picture is kept (no GPS position, no phone model). Then, and only
then, does the ``files`` table name it: nothing is ever stored half.

The bytes live outside the database, one folder per person (``FileStore``), so a
deletion removes the folder and an export copies it. Flask-free: the web layer
hands in the store, the folder and the limits.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import re
import shutil
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sync.kinds import SPOKEN_LANGUAGES, clean_text, storable
from sync.messages import N_
from sync.store import Store, utc_now
from sync.write import Actor, can_see, is_uuid

ID = re.compile(r"[0-9a-f]{64}")
# What a document may be, read from its first bytes; the name's ending is not asked.
DOCUMENT_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
# A voice answer, as the browsers' recorders write it: Opus in WebM (Chromium, Firefox
# on Android), Ogg (Firefox), AAC in MP4 (Safari).
VOICE_TYPES = ("audio/webm", "audio/ogg", "audio/mp4")
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
              "application/pdf": ".pdf", "audio/webm": ".webm", "audio/ogg": ".ogg",
              "audio/mp4": ".m4a"}
# A chunk fits well under the app's request limit and a weak connection's patience.
CHUNK_BYTES = 256 * 1024
NAME_LENGTH = 120
PREVIEW_PIXELS = 320
# Who adds files: the person and the volunteers who help them fill in the profile.
ADDING_ROLES = ("refugee", "volunteer")


@dataclass(frozen=True)
class Limits:
    """How large one file, and all of one person's files together, may be."""

    file_bytes: int = 10 * 1024 * 1024
    person_bytes: int = 100 * 1024 * 1024
    pixels: int = 40_000_000  # a picture larger than this is refused before it is drawn
    voice_seconds: int = 180  # the longest voice answer


class FileRefused(Exception):
    """A file that cannot be kept; ``message`` is a msgid, ``params`` its values."""

    message = N_("This file cannot be added.")
    status = 422

    def __init__(self, **params):
        super().__init__(self.message)
        self.params = params


class NotAllowed(FileRefused):
    message = N_("You are not allowed to change this")
    status = 404  # never confirm that someone else's profile exists


class BadRequest(FileRefused):
    message = N_("The request was not valid.")
    status = 400


class Empty(FileRefused):
    message = N_("This file is empty.")


class TooLarge(FileRefused):
    message = N_("A file may be at most %(megabytes)s MB. "
                 "Take a photo again, or choose a smaller file.")
    status = 413


class PersonFull(FileRefused):
    message = N_("All your files together may be at most %(megabytes)s MB. "
                 "Remove a file you no longer need first.")
    status = 413


class NotAccepted(FileRefused):
    message = N_("Only photos (JPEG, PNG or WebP), PDF files and voice recordings can be added.")
    status = 415


class ActivePdf(FileRefused):
    message = N_("This PDF contains a script, a form action or an attached file, and cannot "
                 "be added. Add a photo or a scan of the paper instead.")


class LockedPdf(FileRefused):
    message = N_("This PDF is locked with a password. Add a copy without a password.")


class PictureTooLarge(FileRefused):
    message = N_("This picture is too large: at most %(millions)s million pixels.")


class VoiceEmpty(FileRefused):
    message = N_("This recording is empty. Record your answer again.")


class VoiceTooLong(FileRefused):
    # No number here: the recorder shows the time left, and stops by itself.
    message = N_("This recording is too long. Record a shorter answer.")


class Damaged(FileRefused):
    message = N_("This file is damaged or incomplete.")


class Changed(FileRefused):
    message = N_("This file arrived changed on the way. It will be sent again.")


class WrongOffset(FileRefused):
    """A chunk that does not start where the file so far ends (sent twice, or out of
    order): nothing is written, and the answer says where to go on."""

    message = N_("The request was not valid.")
    status = 409


class UnknownUpload(FileRefused):
    message = N_("This file was not announced, or it was already refused.")
    status = 404


@dataclass(frozen=True)
class Cleaned:
    """A file's bytes as kept: a picture drawn anew, a PDF as it came."""

    content: bytes
    media_type: str
    width: int | None = None
    height: int | None = None
    preview: bytes | None = None


def file_id(content: bytes) -> str:
    """A file's id: the SHA-256 of its bytes, as lower-case hex."""
    return hashlib.sha256(content).hexdigest()


def is_file_id(value: object) -> bool:
    """Whether ``value`` is a file id (64 lower-case hex digits)."""
    return isinstance(value, str) and ID.fullmatch(value) is not None


def megabytes(size: int) -> str:
    """A size in whole MB (or tenths below 10), for messages."""
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


# -- what a file is ------------------------------------------------------------------


def sniff(head: bytes) -> str | None:
    """A document's type from its first bytes, or None when it is none we keep."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    # EBML with the "webm" document type; a recorder writes it within the first bytes.
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
        return "audio/webm"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[4:8] == b"ftyp" and head[8:12] in (b"M4A ", b"mp42", b"isom", b"iso5", b"iso6"):
        return "audio/mp4"
    return None


def clean(content: bytes, limits: Limits, seconds: float | None = None) -> Cleaned:
    """The form in which a document or a voice answer (``seconds`` long, as the phone
    measured it) is kept, or ``FileRefused`` saying why not."""
    if not content:
        raise Empty()
    if len(content) > limits.file_bytes:
        raise TooLarge(megabytes=megabytes(limits.file_bytes))
    media_type = sniff(content[:64])
    if media_type is None:
        raise NotAccepted()
    if media_type in VOICE_TYPES:
        # Kept as recorded: a recorder writes no place or name into it.
        if seconds is None or seconds < 1:
            raise VoiceEmpty()
        if seconds > limits.voice_seconds:
            raise VoiceTooLong()
        return Cleaned(content, media_type)
    if media_type == "application/pdf":
        _check_pdf(content)
        return Cleaned(content, media_type)
    return _redraw(content, media_type, limits)


def _redraw(content: bytes, media_type: str, limits: Limits) -> Cleaned:
    """Draw a picture anew, upright, with nothing but its pixels: the metadata a phone
    writes (where it was taken, which phone, when) is not carried over."""
    from PIL import Image, ImageOps

    too_large = PictureTooLarge(millions=limits.pixels // 1_000_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(content), formats=[IMAGE_FORMATS[media_type]])
            # The size is in the header: refuse a bomb before its pixels are unpacked.
            if image.width * image.height > limits.pixels:
                raise too_large
            image.load()
            image = ImageOps.exif_transpose(image)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_large from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise Damaged() from None
    if media_type == "image/jpeg" or image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if media_type != "image/jpeg" and "A" in image.mode
                              else "RGB")
    image.info = {}
    kept = io.BytesIO()
    options = {"JPEG": {"quality": 88, "optimize": True}, "PNG": {"optimize": True},
               "WEBP": {"quality": 88}}[IMAGE_FORMATS[media_type]]
    image.save(kept, IMAGE_FORMATS[media_type], **options)
    small = image.convert("RGB")
    small.thumbnail((PREVIEW_PIXELS, PREVIEW_PIXELS))
    preview = io.BytesIO()
    small.save(preview, "JPEG", quality=70, optimize=True)
    return Cleaned(kept.getvalue(), media_type, image.width, image.height, preview.getvalue())


# Names of what a PDF can run or carry besides its pages: scripts, actions on opening,
# forms that send, attached files, media players.
_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|OpenAction|AA|EmbeddedFiles?|RichMedia"
                     rb"|XFA|SubmitForm|ImportData|GoToE)(?=[\s/<>\[\]()%{}]|$)")
_HEX_IN_NAME = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream\r?\n")
_INFLATED_AT_MOST = 64 * 1024 * 1024


def _check_pdf(content: bytes) -> None:
    """Refuse a PDF that is cut off, locked, or does more than show pages, also when
    the names are spelled with #-escapes or hidden in compressed object streams."""
    if b"%%EOF" not in content[-2048:]:
        raise Damaged()
    for part in _pdf_parts(content):
        names = _HEX_IN_NAME.sub(lambda m: bytes([int(m.group(1), 16)]), part)
        if b"/Encrypt" in names:
            raise LockedPdf()
        if _ACTIVE.search(names):
            raise ActivePdf()


def _pdf_parts(content: bytes) -> Iterator[bytes]:
    """The PDF's own bytes and each compressed stream inflated (bounded: a stream that
    inflates beyond 64 MB is a bomb, and refused as damaged)."""
    yield content
    inflated = 0
    for match in _STREAM.finditer(content):
        unpack = zlib.decompressobj()
        try:
            data = unpack.decompress(content[match.end():match.end() + len(content)],
                                     _INFLATED_AT_MOST - inflated)
        except zlib.error:
            continue  # not deflated (a picture's own coding): no names inside
        inflated += len(data)
        if unpack.unconsumed_tail:
            raise Damaged()
        yield data


# -- where the bytes are kept ---------------------------------------------------------


class FileStore:
    """A folder of people's files: ``<root>/<person id>/<sha256 of the kept bytes>``,
    and uploads on their way in ``<root>/<person id>/parts/<file id>``.

    Writes go to a temporary name, are flushed to disk and then renamed, so a file
    is there whole or not at all. Several app servers share one folder (a network
    file system mounted at the same place): nothing here is kept in memory.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _folder(self, person_id: str) -> Path:
        if not is_uuid(person_id):
            raise BadRequest()
        return self.root / person_id

    def _blob(self, person_id: str, digest: str) -> Path:
        if not is_file_id(digest):
            raise BadRequest()
        return self._folder(person_id) / digest

    def put(self, person_id: str, content: bytes) -> str:
        """Keep bytes; their SHA-256 is their name (the same bytes are kept once)."""
        digest = file_id(content)
        path = self._blob(person_id, digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{digest}.{os.getpid()}.tmp")
            with open(temporary, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
            _sync_folder(path.parent)
        return digest

    def read(self, person_id: str, digest: str) -> bytes:
        """The kept bytes (``FileNotFoundError`` when they are gone)."""
        return self._blob(person_id, digest).read_bytes()

    def path(self, person_id: str, digest: str) -> Path:
        """Where kept bytes are (for sending them without reading them into memory)."""
        return self._blob(person_id, digest)

    def _part(self, person_id: str, upload_id: str) -> Path:
        if not is_file_id(upload_id):
            raise BadRequest()
        return self._folder(person_id) / "parts" / upload_id

    def received(self, person_id: str, upload_id: str) -> int:
        """How many bytes of an upload are in."""
        try:
            return self._part(person_id, upload_id).stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, person_id: str, upload_id: str, offset: int, chunk: bytes) -> int:
        """Add a chunk where the upload so far ends; ``WrongOffset`` when it does not
        start there (nothing written). Returns the bytes in. Two requests for one upload
        take turns (a lock on the part), so a chunk is never written twice."""
        path = self._part(person_id, upload_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as part:
            fcntl.flock(part, fcntl.LOCK_EX)
            size = part.seek(0, os.SEEK_END)
            if size != offset:
                raise WrongOffset(received=size)
            part.write(chunk)
            part.flush()
            os.fsync(part.fileno())
            return size + len(chunk)

    def read_part(self, person_id: str, upload_id: str) -> bytes:
        return self._part(person_id, upload_id).read_bytes()

    def drop_part(self, person_id: str, upload_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._part(person_id, upload_id).unlink()

    def remove(self, person_id: str, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._blob(person_id, digest).unlink()

    def forget_person(self, person_id: str) -> None:
        """Remove every file and upload of a person (their profile is deleted)."""
        shutil.rmtree(self._folder(person_id), ignore_errors=True)

    def people(self) -> list[str]:
        """The people who have a folder here."""
        if not self.root.is_dir():
            return []
        return sorted(path.name for path in self.root.iterdir() if is_uuid(path.name))


def files_beside(database: str | Path) -> Path:
    """The file folder that goes with a SQLite database file: ``<name>-files`` beside
    it, so the database and its files move, are backed up and restored together."""
    database = Path(database)
    return database.with_name(database.stem + "-files")


def copy_files(source: FileStore, target: FileStore) -> int:
    """Copy every kept file ``target`` lacks (a backup, a restore); returns how many.
    Files never change (their name is their hash), so what is there is left alone,
    and nothing is ever removed; uploads still on their way are not copied."""
    copied = 0
    for person_id in source.people():
        for path in sorted((source.root / person_id).iterdir()):
            if path.is_file() and is_file_id(path.name) \
                    and not target.path(person_id, path.name).exists():
                target.put(person_id, path.read_bytes())
                copied += 1
    return copied


def _sync_folder(folder: Path) -> None:
    """Make a rename durable: the folder's entry is flushed too."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# -- adding a file -----------------------------------------------------------------------


def _may_add(store: Store, actor: Actor, person_id: str) -> None:
    if not is_uuid(person_id) or actor.role not in ADDING_ROLES \
            or not can_see(store, actor, person_id):
        raise NotAllowed()


def _clean_name(name: object) -> str:
    """A file's name as the person's phone called it (shown to the coach), or ""."""
    if not isinstance(name, str) or not storable(name):
        return ""
    return clean_text(name, multiline=False)[:NAME_LENGTH]


def _room_for(store: Store, person_id: str, size: int, limits: Limits) -> None:
    if size > limits.file_bytes:
        raise TooLarge(megabytes=megabytes(limits.file_bytes))
    if store.file_bytes_of(person_id) + size > limits.person_bytes:
        raise PersonFull(megabytes=megabytes(limits.person_bytes))


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return round(float(value), 1) if 0 <= value < 86_400 else None


def _language(value: object) -> str | None:
    return value if isinstance(value, str) and value in SPOKEN_LANGUAGES else None


def begin_upload(store: Store, files: FileStore, actor: Actor, person_id: str,
                 upload_id: object, size: object, name: object, limits: Limits, *,
                 seconds: object = None, language: object = None) -> dict:
    """Announce a file before its chunks: ``{"received": bytes in, "complete": bool}``.
    A voice answer says how long it is and in which language it was spoken. Announcing
    it again (a retry, another phone with the same photo) answers where it stands; a
    file already kept is complete at once."""
    _may_add(store, actor, person_id)
    if not is_file_id(upload_id) or isinstance(size, bool) or not isinstance(size, int):
        raise BadRequest()
    if store.file(person_id, upload_id):
        return {"received": size, "complete": True}
    if size <= 0:
        raise Empty()
    upload = store.upload(person_id, upload_id)
    if upload is None:
        _room_for(store, person_id, size, limits)
        store.add_upload({"person_id": person_id, "id": upload_id, "size": size,
                          "name": _clean_name(name), "seconds": _seconds(seconds),
                          "language": _language(language), "started_by": actor.id,
                          "started_at": utc_now()})
    elif upload["size"] != size:
        raise BadRequest()
    return {"received": files.received(person_id, upload_id), "complete": False}


def receive_chunk(store: Store, files: FileStore, actor: Actor, person_id: str,
                  upload_id: str, offset: object, chunk: bytes, limits: Limits) -> dict:
    """Add one chunk at ``offset``; the last one completes the file (``finish``).
    A chunk sent twice or out of order is ``WrongOffset`` with the bytes in so far."""
    _may_add(store, actor, person_id)
    if not is_file_id(upload_id):
        raise BadRequest()
    if store.file(person_id, upload_id):
        return {"received": offset, "complete": True}
    upload = store.upload(person_id, upload_id)
    if upload is None:
        raise UnknownUpload()
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0 \
            or not chunk or len(chunk) > CHUNK_BYTES:
        raise BadRequest()
    if offset + len(chunk) > upload["size"]:
        raise WrongOffset(received=files.received(person_id, upload_id))
    received = files.append(person_id, upload_id, offset, chunk)
    if received < upload["size"]:
        return {"received": received, "complete": False}
    finish(store, files, person_id, upload, limits)
    return {"received": received, "complete": True}


def finish(store: Store, files: FileStore, person_id: str, upload: dict,
           limits: Limits) -> None:
    """Check an upload whose bytes are all in and keep it, or refuse it and forget
    it (the phone keeps its copy and says why)."""
    content = files.read_part(person_id, upload["id"])
    try:
        if file_id(content) != upload["id"]:
            raise Changed()
        _keep(store, files, person_id, upload["id"], content, upload, limits)
    finally:
        store.remove_upload(person_id, upload["id"])
        files.drop_part(person_id, upload["id"])


def add_whole(store: Store, files: FileStore, actor: Actor, person_id: str,
              content: bytes, name: object, limits: Limits) -> str:
    """Keep a file that came in one piece (a form sent without script); its id."""
    _may_add(store, actor, person_id)
    upload_id = file_id(content)
    if not store.file(person_id, upload_id):
        if not content:
            raise Empty()
        _room_for(store, person_id, len(content), limits)
        _keep(store, files, person_id, upload_id, content,
              {"name": _clean_name(name), "started_by": actor.id}, limits)
    return upload_id


def _keep(store: Store, files: FileStore, person_id: str, upload_id: str, content: bytes,
          upload: dict, limits: Limits) -> None:
    cleaned = clean(content, limits, upload.get("seconds"))
    blob = files.put(person_id, cleaned.content)
    preview = files.put(person_id, cleaned.preview) if cleaned.preview else None
    store.add_file({"person_id": person_id, "id": upload_id, "blob": blob, "preview": preview,
                    "media_type": cleaned.media_type, "size": len(cleaned.content),
                    "width": cleaned.width, "height": cleaned.height, "name": upload["name"],
                    "seconds": upload.get("seconds") if cleaned.media_type in VOICE_TYPES
                    else None, "language": upload.get("language"),
                    "added_at": utc_now(), "added_by": upload["started_by"]})


# -- seeing a file ----------------------------------------------------------------------


def file_for(store: Store, actor: Actor, person_id: str, upload_id: str) -> dict | None:
    """A file's row for someone who may see the person's entries, else None."""
    if not (is_uuid(person_id) and is_file_id(upload_id) and can_see(store, actor, person_id)):
        return None
    return store.file(person_id, upload_id)


def mark_seen(store: Store, actor: Actor, person_id: str, upload_id: str) -> dict:
    """A coach notes that they saw the paper original of a document."""
    if actor.role != "coach":
        raise NotAllowed()
    row = file_for(store, actor, person_id, upload_id)
    if row is None:
        raise NotAllowed()
    if not row["seen_by"]:
        store.mark_file_seen(person_id, upload_id, actor.id, utc_now())
    return store.file(person_id, upload_id)
