"""Photos and documents of entries: sent in chunks that resume, checked by hash and
content, pictures drawn anew without their metadata, served only to those who may
see the person; and every bad file refused with a reason and nothing kept half.
On both backends, through the app."""

from __future__ import annotations

import hashlib
import io
import zlib

import pytest
from babel.support import Translations
from PIL import Image

from pwa import ROOT
from sync import erasure, files
from sync.files import CHUNK_BYTES
from sync.write import Actor, Operation, apply, new_id
from tests.test_erasure import token_of
from tests.today import TODAY

SYNC = {"X-Talentkaart-Sync": "1"}
PHONE_MAKER = "Zylophone Z9 camera"


def photo(width=900, height=600, colour=(180, 40, 40), gps=True) -> bytes:
    """A JPEG as a phone writes it: with the phone's name and where it was taken."""
    image = Image.new("RGB", (width, height), colour)
    exif = image.getexif()
    exif[0x010F] = PHONE_MAKER  # Make
    exif[0x0112] = 6  # Orientation: turned a quarter; drawn upright it is taller than wide
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 53.0, 10.5), 3: "E", 4: (6.0, 56.0, 2.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png(width=40, height=30) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 90, 200, 128)).save(out, "PNG")
    return out.getvalue()


def pdf(extra: bytes = b"") -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R " + extra + b">> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n"
            b"%%EOF\n")


def compressed_pdf(inner: bytes) -> bytes:
    stream = zlib.compress(inner)
    return (b"%PDF-1.5\n3 0 obj << /Type /ObjStm /Length " + str(len(stream)).encode()
            + b" /Filter /FlateDecode >>\nstream\n" + stream + b"\nendstream\nendobj\n"
            + pdf()[9:])


def bomb() -> bytes:
    """A PNG whose header claims 100,000 x 100,000 pixels (a few bytes of data)."""
    small = png(1, 1)
    header = bytearray(small)
    header[16:24] = (100_000).to_bytes(4, "big") + (100_000).to_bytes(4, "big")
    crc = zlib.crc32(bytes(header[12:29]))
    header[29:33] = crc.to_bytes(4, "big")
    return bytes(header)


@pytest.fixture
def amina(client, make_user, login):
    amina, _ = make_user("refugee", name="Amina")
    login(amina)
    return amina


@pytest.fixture
def coach_desk(app, make_user, login):
    """Coen, a coach of her place, signed in on a client of his own."""
    coach, _ = make_user("coach", name="Coen")
    desk = app.test_client()
    desk.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(coach, test_client=desk)
    return coach, desk


def announce(client, person, content, size=None, name="diploma.jpg"):
    return client.post("/sync/files", headers=SYNC, json={
        "person": person["id"], "id": hashlib.sha256(content).hexdigest(),
        "size": len(content) if size is None else size, "name": name})


def chunk(client, person, content, offset, part, file_id=None):
    file_id = file_id or hashlib.sha256(content).hexdigest()
    return client.patch(f"/sync/files/{person['id']}/{file_id}", data=part,
                        headers={**SYNC, "Upload-Offset": str(offset),
                                 "Content-Type": "application/octet-stream"})


def send(client, person, content, name="diploma.jpg", size=CHUNK_BYTES):
    """Announce and send a file in chunks; the last answer."""
    answer = announce(client, person, content, name=name)
    assert answer.status_code == 200, answer.get_json()
    offset = answer.get_json()["received"]
    while offset < len(content):
        answer = chunk(client, person, content, offset, content[offset:offset + size])
        if answer.status_code != 200:
            return answer
        offset = answer.get_json()["received"]
    return answer


def fetch(client, path):
    """A GET whose body is read and closed (a file is sent from disk)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def kept_bytes(app, store, person, file_id):
    row = store.file(person["id"], file_id)
    return files.FileStore(app.config["FILES_DIR"]).read(person["id"], row["blob"])


def test_a_photo_sent_in_chunks_is_kept_once_upright_and_without_where_it_was_taken(
        app, client, store, amina):
    content = photo(2000, 1200) + b"\0" * (3 * CHUNK_BYTES)  # bytes after the picture's end
    file_id = hashlib.sha256(content).hexdigest()
    answer = send(client, amina, content, size=100_000)
    assert answer.get_json() == {"received": len(content), "complete": True}
    row = store.file(amina["id"], file_id)
    assert (row["media_type"], row["width"], row["height"], row["name"]) == (
        "image/jpeg", 1200, 2000, "diploma.jpg")
    kept = kept_bytes(app, store, amina, file_id)
    assert PHONE_MAKER.encode() not in kept
    image = Image.open(io.BytesIO(kept))
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info
    assert store.upload(amina["id"], file_id) is None
    # Sent again (a retry, or the same photo twice): one file, complete at once.
    again = announce(client, amina, content)
    assert again.get_json() == {"received": len(content), "complete": True}
    assert [f["id"] for f in store.files_of(amina["id"])] == [file_id]


def test_an_upload_resumes_where_it_stopped_and_a_chunk_twice_or_out_of_order_changes_nothing(
        app, client, store, amina):
    content = photo(1600, 1600, gps=False) + bytes(range(256)) * 2000
    parts = [content[i:i + 60_000] for i in range(0, len(content), 60_000)]
    assert announce(client, amina, content).get_json() == {"received": 0, "complete": False}
    assert chunk(client, amina, content, 0, parts[0]).get_json()["received"] == 60_000
    # The connection dropped: the phone asks again and goes on from what arrived.
    assert announce(client, amina, content).get_json() == {"received": 60_000, "complete": False}
    twice = chunk(client, amina, content, 0, parts[0])
    assert twice.status_code == 409 and twice.get_json()["received"] == 60_000
    ahead = chunk(client, amina, content, 120_000, parts[2])
    assert ahead.status_code == 409 and ahead.get_json()["received"] == 60_000
    offset = 60_000
    for part in parts[1:]:
        answer = chunk(client, amina, content, offset, part)
        assert answer.status_code == 200, answer.get_json()
        offset += len(part)
    assert answer.get_json()["complete"] is True
    assert store.file(amina["id"], hashlib.sha256(content).hexdigest())


def test_a_file_that_changed_on_the_way_is_refused_and_nothing_is_kept(client, store, amina):
    content = photo()
    claimed = hashlib.sha256(b"another file").hexdigest()
    client.post("/sync/files", headers=SYNC, json={
        "person": amina["id"], "id": claimed, "size": len(content), "name": "x.jpg"})
    answer = chunk(client, amina, content, 0, content, file_id=claimed)
    assert answer.status_code == 422
    assert answer.get_json()["error"] == ("This file arrived changed on the way. "
                                          "It will be sent again.")
    assert store.files_of(amina["id"]) == []
    assert store.upload(amina["id"], claimed) is None


def _exe():
    return b"MZ\x90\x00" + b"\0" * 60 + b"This program cannot be run in DOS mode"


@pytest.mark.parametrize(("content", "status", "message"), [
    (b"", 422, "This file is empty."),
    (_exe(), 415, "Only photos (JPEG, PNG or WebP), PDF files and voice recordings can be added."),
    (b"<!doctype html><script>alert(1)</script>", 415,
     "Only photos (JPEG, PNG or WebP), PDF files and voice recordings can be added."),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', 415,
     "Only photos (JPEG, PNG or WebP), PDF files and voice recordings can be added."),
    (pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "), 422,
     "This PDF contains a script, a form action or an attached file, and cannot be added. "
     "Add a photo or a scan of the paper instead."),
    (pdf(b"/Names << /J#61vaScript 5 0 R >> "), 422,
     "This PDF contains a script, a form action or an attached file, and cannot be added. "
     "Add a photo or a scan of the paper instead."),
    (compressed_pdf(b"<< /S /Launch /F (cmd.exe) >>"), 422,
     "This PDF contains a script, a form action or an attached file, and cannot be added. "
     "Add a photo or a scan of the paper instead."),
    (pdf(b"/Encrypt 9 0 R "), 422,
     "This PDF is locked with a password. Add a copy without a password."),
    (pdf()[:-8], 422, "This file is damaged or incomplete."),
    (photo()[:2000], 422, "This file is damaged or incomplete."),
    (bomb(), 422, "This picture is too large: at most 40 million pixels."),
])
def test_a_bad_file_is_refused_with_its_reason_and_nothing_is_kept(client, store, amina,
                                                                    content, status, message):
    if content:
        answer = send(client, amina, content, name="file.pdf")
    else:
        answer = announce(client, amina, content, size=0)
    assert answer.status_code == status
    assert answer.get_json()["error"] == message
    assert store.files_of(amina["id"]) == []
    assert store.count("uploads") == 0
    # Nothing of it is left on disk either.
    folder = files.FileStore(client.application.config["FILES_DIR"]).root / amina["id"]
    assert not folder.exists() or [p for p in folder.rglob("*") if p.is_file()] == []


def test_a_clean_pdf_and_a_png_are_kept(client, store, amina):
    for content in (pdf(), png()):
        assert send(client, amina, content).get_json()["complete"] is True
    kinds = sorted(f["media_type"] for f in store.files_of(amina["id"]))
    assert kinds == ["application/pdf", "image/png"]


def test_limits_per_file_and_per_person_say_how_much(app, client, store, amina):
    app.config.update(FILE_MAX_BYTES=100_000, FILES_MAX_PER_PERSON=150_000)
    big = announce(client, amina, b"x" * 100_001)
    assert big.status_code == 413
    assert big.get_json()["error"] == ("A file may be at most 0.1 MB. Take a photo again, "
                                       "or choose a smaller file.")
    # A PDF is kept as it came: its size counts in full.
    first = pdf(b"/Padding (" + b"a" * 90_000 + b") ")
    assert send(client, amina, first).get_json()["complete"] is True
    second = announce(client, amina, pdf(b"/Padding (" + b"b" * 90_000 + b") "))
    assert second.status_code == 413
    assert second.get_json()["error"] == ("All your files together may be at most 0.1 MB. "
                                          "Remove a file you no longer need first.")


@pytest.mark.parametrize("who", ["other_refugee", "coach_here", "volunteer_elsewhere"])
def test_no_one_else_adds_files_to_her_profile(app, store, amina, make_user, other_location,
                                                who, login):
    role = who.split("_")[0].replace("other", "refugee")
    kwargs = {"location_ids": [other_location]} if who.endswith("elsewhere") else {}
    user, _ = make_user("refugee" if who == "other_refugee" else role, **kwargs)
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(user, test_client=other)
    content = photo()
    assert announce(other, amina, content).status_code == 404
    assert chunk(other, amina, content, 0, content).status_code == 404
    assert store.count("uploads") == 0 and store.files_of(amina["id"]) == []


def test_a_volunteer_of_her_place_adds_a_file_for_her(app, store, amina, make_user, login):
    volunteer, _ = make_user("volunteer")
    desk = app.test_client()
    login(volunteer, test_client=desk)
    assert send(desk, amina, photo()).get_json()["complete"] is True
    assert store.files_of(amina["id"])[0]["added_by"] == volunteer["id"]


def test_the_upload_api_refuses_what_a_cross_site_page_could_send(client, amina):
    content = photo()
    body = {"person": amina["id"], "id": hashlib.sha256(content).hexdigest(),
            "size": len(content)}
    assert client.post("/sync/files", json=body).status_code == 400  # no header
    assert client.post("/sync/files", headers={**SYNC, "Origin": "https://evil.example"},
                       json=body).status_code == 403
    for bad in ({**body, "id": "../../etc/passwd"}, {**body, "size": "12"},
                {**body, "size": True}, {**body, "person": "x"}, []):
        assert client.post("/sync/files", headers=SYNC, json=bad).status_code in (400, 404)
    announce(client, amina, content)
    for offset in ("-1", "1e3", "", "٣"):
        answer = client.patch(f"/sync/files/{amina['id']}/{body['id']}", data=b"x",
                              headers={**SYNC, "Upload-Offset": offset})
        assert answer.status_code == 400


def education(file_ids):
    return {"level": "bachelor", "field": "Nursing", "diploma": "yes", "files": file_ids}


def put(store, person, record_type, fields, record_id=None, base=0):
    record_id = record_id or new_id()
    apply(store, Actor(person["id"], "refugee"),
          Operation(new_id(), person["id"], record_type, record_id, "put", base, fields))
    return record_id


def test_an_entry_before_its_file_and_a_file_before_its_entry_both_end_complete(
        client, store, amina):
    early, late = photo(colour=(1, 2, 3)), photo(colour=(200, 200, 0))
    early_id, late_id = (hashlib.sha256(c).hexdigest() for c in (early, late))
    send(client, amina, early)  # the file first
    put(store, amina, "education", education([early_id, late_id]))  # then the entry
    page = client.get(f"/people/{amina['id']}/education/").get_data(as_text=True)
    assert f"/files/{early_id}/preview" in page
    assert "Not arrived yet" in page and f"/files/{late_id}/preview" not in page
    send(client, amina, late)  # the entry's other file, later
    page = client.get(f"/people/{amina['id']}/education/").get_data(as_text=True)
    assert f"/files/{late_id}/preview" in page and "Not arrived yet" not in page


def test_an_entry_names_at_most_ten_files_each_once(store, amina):
    from sync.records import ValidationFailed

    ids = [hashlib.sha256(bytes([n])).hexdigest() for n in range(11)]
    with pytest.raises(ValidationFailed) as refused:
        put(store, amina, "education", education(ids))
    assert refused.value.errors["files"][1] == {"max": 10}
    for bad in (["../x"], [ids[0].upper()], "not a list", [1]):
        with pytest.raises(ValidationFailed):
            put(store, amina, "education", education(bad))
    record_id = put(store, amina, "education", education([ids[0], ids[0], ids[1]]))
    assert store.record(record_id)["data"]["files"] == ids[:2]


def test_a_form_without_script_sends_its_files_with_it(app, client, store, amina):
    path = f"/people/{amina['id']}/education/new"
    data = {"csrf_token": token_of(client, path), "op_id": new_id(), "record_id": new_id(),
            "base_revision": "0", "level": "bachelor", "field": "Nursing", "diploma": "yes",
            "add_files": [(io.BytesIO(photo()), "diploma.jpg"), (io.BytesIO(pdf()), "grades.pdf")]}
    answer = client.post(path, data=data, content_type="multipart/form-data")
    assert answer.status_code == 303
    (entry,) = store.records(amina["id"], "education")
    assert len(entry["data"]["files"]) == 2
    assert {f["name"] for f in store.files_of(amina["id"])} == {"diploma.jpg", "grades.pdf"}
    # A bad file: the form comes back with the reason at the field; nothing is saved.
    data = {**data, "csrf_token": token_of(client, path), "op_id": new_id(),
            "record_id": new_id(), "add_files": [(io.BytesIO(_exe()), "diploma.jpg")]}
    answer = client.post(path, data=data, content_type="multipart/form-data")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'id="f-files-error"' in page and "Only photos (JPEG, PNG or WebP), PDF files" in page
    assert 'value="Nursing"' in page  # what she typed is still there
    assert len(store.records(amina["id"], "education")) == 1


def test_a_file_is_shown_to_those_who_see_her_entries_and_never_run(
        app, client, store, amina, make_user, login, other_location):
    content = photo()
    send(client, amina, content)
    file_id = hashlib.sha256(content).hexdigest()
    path = f"/people/{amina['id']}/files/{file_id}"
    mine = fetch(client, path)
    assert mine.status_code == 200 and mine.mimetype == "image/jpeg"
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    assert mine.headers["Cache-Control"] == "private, no-store"
    assert "sandbox" in mine.headers["Content-Security-Policy"]
    assert mine.headers["Content-Disposition"].startswith("inline")
    assert fetch(client, path + "/preview").mimetype == "image/jpeg"
    send(client, amina, pdf())
    document = fetch(client, f"/people/{amina['id']}/files/{hashlib.sha256(pdf()).hexdigest()}")
    assert document.headers["Content-Disposition"].startswith("attachment")
    elsewhere = {"location_ids": [other_location]}
    for role, kwargs, status in (("coach", {}, 200), ("coach", elsewhere, 404),
                                 ("refugee", {}, 404)):
        user, _ = make_user(role, **kwargs)
        other = app.test_client()
        login(user, test_client=other)
        assert fetch(other, path).status_code == status, (role, kwargs)
    assert app.test_client().get(path).status_code == 302  # signed out: sign in first


def test_a_coach_marks_that_she_saw_the_original(client, store, amina, coach_desk):
    content = photo()
    send(client, amina, content)
    file_id = hashlib.sha256(content).hexdigest()
    record_id = put(store, amina, "education", education([file_id]))
    coach, desk = coach_desk
    review = f"/people/{amina['id']}/review"
    page = desk.get(review).get_data(as_text=True)
    assert f"/files/{file_id}/preview" in page and "I saw the original" in page
    answer = desk.post(f"/people/{amina['id']}/files/{file_id}/seen",
                       data={"csrf_token": token_of(desk, review), "entry": record_id})
    assert answer.status_code == 303
    assert store.file(amina["id"], file_id)["seen_by"] == coach["id"]
    page = desk.get(review).get_data(as_text=True)
    assert "Original seen by <bdi>Coen</bdi>" in page and "I saw the original" not in page
    # The person cannot say it for the coach.
    mine = client.post(f"/people/{amina['id']}/files/{file_id}/seen",
                       data={"csrf_token": token_of(client, f"/people/{amina['id']}/")})
    assert mine.status_code == 403


def test_erasure_removes_her_files_from_the_folder_and_the_database(app, client, store, amina):
    content = photo()
    send(client, amina, content)
    put(store, amina, "education", education([hashlib.sha256(content).hexdigest()]))
    half = photo(colour=(9, 9, 9))
    announce(client, amina, half)
    chunk(client, amina, half, 0, half[:1000])
    folder = files.FileStore(app.config["FILES_DIR"]).root / amina["id"]
    assert len([p for p in folder.rglob("*") if p.is_file()]) == 3  # photo, preview, part
    erasure.ask(store, Actor(amina["id"], "refugee"), amina["id"], grace_days=0)
    erasure.erase_due(store, TODAY, files=files.FileStore(app.config["FILES_DIR"]))
    assert not folder.exists()
    assert store.files_of(amina["id"]) == [] and store.count("uploads") == 0


@pytest.mark.sqlite_only
def test_a_backup_keeps_her_files_and_a_restore_brings_them_back(app, client, store, amina,
                                                                  tmp_path, monkeypatch):
    from pwa.cli import cli

    content = photo()
    send(client, amina, content)
    row = store.file(amina["id"], hashlib.sha256(content).hexdigest())
    target = tmp_path / "backup" / "talentkaart.sqlite3"
    target.parent.mkdir()
    result = app.test_cli_runner().invoke(cli, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "and 2 new photo(s) and document(s)" in result.output  # the photo and its preview
    backed_up = files.FileStore(files.files_beside(target))
    assert backed_up.read(amina["id"], row["blob"]) == kept_bytes(app, store, amina, row["id"])
    # Again: nothing new to copy.
    again = app.test_cli_runner().invoke(cli, ["backup", "--force", str(target)])
    assert "and 0 new photo(s)" in again.output

    # The disk is lost: the database and the files. The restore brings both back.
    store.close()
    lost = files.FileStore(app.config["FILES_DIR"])
    lost.forget_person(amina["id"])
    monkeypatch.setenv("TALENTKAART_DATABASE", app.config["DATABASE"])
    monkeypatch.setenv("TALENTKAART_FILES_DIR", app.config["FILES_DIR"])
    result = app.test_cli_runner().invoke(cli, ["restore", "--from-backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "Brought back 2 photo(s) and document(s)" in result.output
    assert lost.read(amina["id"], row["blob"]) == backed_up.read(amina["id"], row["blob"])


def test_her_data_download_holds_her_files_as_kept(app, client, store, amina):
    import json

    from tests.test_privacy import download

    content = photo()
    send(client, amina, content)
    send(client, amina, pdf())
    archive = download(client, amina)
    data = json.loads(archive.read("talentkaart.json"))
    listed = {f["name"]: f for f in data["files"]}
    assert set(listed) == {"diploma.jpg"}  # both were sent as "diploma.jpg"
    assert len(data["files"]) == 2
    for entry in data["files"]:
        kept = kept_bytes(app, store, amina, entry["id"])
        assert archive.read(entry["path"]) == kept
    assert sorted(e["path"].rsplit(".", 1)[1] for e in data["files"]) == ["jpg", "pdf"]


def test_a_kept_page_is_new_when_a_file_it_names_arrives(client, store, amina):
    late = photo(colour=(5, 60, 5))
    put(store, amina, "education", education([hashlib.sha256(late).hexdigest()]))
    path = f"/people/{amina['id']}/education/"
    tag = client.get(path).headers["ETag"]
    assert client.get(path, headers={"If-None-Match": tag}).status_code == 304
    send(client, amina, late)
    assert client.get(path, headers={"If-None-Match": tag}).status_code == 200


def webm(seconds_of_noise: int = 3) -> bytes:
    """The start of a WebM file as Chromium's recorder writes it, and some bytes."""
    return (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3"
            b"\x81\x08\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02"
            + bytes(range(256)) * 40 * seconds_of_noise)


def announce_voice(client, person, content, seconds, language="ti"):
    return client.post("/sync/files", headers=SYNC, json={
        "person": person["id"], "id": hashlib.sha256(content).hexdigest(),
        "size": len(content), "name": "voice.webm", "seconds": seconds, "language": language})


def send_voice(client, person, content, seconds, language="ti"):
    assert announce_voice(client, person, content, seconds, language).status_code == 200
    return chunk(client, person, content, 0, content)


@pytest.mark.parametrize(("seconds", "message"), [
    (0, "This recording is empty. Record your answer again."),
    (0.4, "This recording is empty. Record your answer again."),
    (None, "This recording is empty. Record your answer again."),
    (181, "This recording is too long. Record a shorter answer."),
])
def test_a_voice_answer_of_nothing_or_too_long_is_refused(client, store, amina, seconds,
                                                          message):
    answer = send_voice(client, amina, webm(), seconds)
    assert answer.status_code == 422 and answer.get_json()["error"] == message
    assert store.files_of(amina["id"]) == [] and store.count("uploads") == 0


def test_a_skill_said_aloud_is_kept_with_its_language_and_a_coach_summarises_it(
        client, store, amina, coach_desk):
    content = webm()
    voice_id = hashlib.sha256(content).hexdigest()
    assert send_voice(client, amina, content, 42.5).get_json()["complete"] is True
    row = store.file(amina["id"], voice_id)
    assert (row["media_type"], row["seconds"], row["language"]) == ("audio/webm", 42.5, "ti")
    # Said instead of typed: the spoken answer is enough for a skill.
    record_id = put(store, amina, "skill", {"free_text_voice": voice_id, "level": "3",
                                            "learned": "work"})
    mine = client.get(f"/people/{amina['id']}/skills/").get_data(as_text=True)
    assert f"/files/{voice_id}" in mine and "Spoken in Tigrinya" in mine
    coach, desk = coach_desk
    review = f"/people/{amina['id']}/review"
    page = desk.get(review).get_data(as_text=True)
    assert "<audio controls" in page and "Save the summary" in page
    revision = store.record(record_id)["revision"]
    answer = desk.post(f"/people/{amina['id']}/records/{record_id}/voice-summary", data={
        "csrf_token": token_of(desk, review), "field": "free_text", "base_revision": revision,
        f"summary-free_text-{record_id}": "Last aan metaal, tien jaar in een garage."})
    assert answer.status_code == 303
    assert store.record(record_id)["data"]["free_text_voice_summary"] == (
        "Last aan metaal, tien jaar in een garage.")
    assert "Last aan metaal" in client.get(f"/people/{amina['id']}/skills/").get_data(as_text=True)
    # Only a coach writes it, and only beside a voice answer.
    refused = desk.post(f"/people/{amina['id']}/records/{record_id}/voice-summary", data={
        "csrf_token": token_of(desk, review), "field": "note", "base_revision": revision})
    assert refused.status_code == 400
    from sync.write import Forbidden

    with pytest.raises(Forbidden):
        put(store, amina, "skill", {"free_text_voice_summary": "mine"}, record_id=record_id,
            base=store.record(record_id)["revision"])


def test_a_voice_field_names_a_file_id_or_nothing(store, amina):
    from sync.records import ValidationFailed

    for bad in ("x", "../../etc", ["a"], 3):
        with pytest.raises(ValidationFailed):
            put(store, amina, "work", {"job_title": "Welder", "start": "2015-01",
                                       "description_voice": bad})


def test_the_idw_application_shows_the_papers_in_dutch_and_what_is_missing(
        client, store, amina, coach_desk):
    import zipfile

    papers = [photo(colour=(10, 10, 200)), pdf()]
    for content in papers:
        send(client, amina, content)
    ids = [hashlib.sha256(c).hexdigest() for c in papers]
    put(store, amina, "education", {"level": "secondary_upper", "field": "School",
                                    "diploma": "yes"})
    nursing = put(store, amina, "education", {
        "level": "bachelor", "field": "Nursing", "institution": "University of Asmara",
        "country": "ER", "start_year": "2010", "end_year": "2014", "diploma": "yes",
        "files": ids})
    coach, desk = coach_desk
    page = desk.get(f"/people/{amina['id']}/education/{nursing}/idw")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<html lang="nl"' in text
    assert f"/files/{ids[0]}" in text and "diploma.jpg" in text
    dutch = Translations.load(str(ROOT / "translations"), ["nl"]).gettext
    assert dutch("Highest diploma") in text
    # Two papers, country, school and years are there: what is left is not kept here.
    assert dutch("A photo or scan of the grade list (the marks)") not in text
    assert dutch("The name of the school or university") not in text
    assert dutch("A copy of an identity document (Talentkaart does not keep it)") in text
    assert "Indicatie Onderwijsniveau" not in text
    archive = zipfile.ZipFile(io.BytesIO(desk.get(
        f"/people/{amina['id']}/education/{nursing}/idw.zip").get_data()))
    assert [n.rsplit(".", 1)[1] for n in archive.namelist()] == ["jpg", "pdf"]
    assert archive.read(archive.namelist()[1]) == pdf()
    # Her log says so.
    assert {v["what"] for v in store.all_views_of(amina["id"])} >= {"idw"}


def test_without_papers_the_application_points_to_the_indicatie_onderwijsniveau(
        store, amina, coach_desk):
    from sync import idw

    lost = put(store, amina, "education", {"level": "vocational", "field": "Welding",
                                           "diploma": "lost"})
    _, desk = coach_desk
    text = desk.get(f"/people/{amina['id']}/education/{lost}/idw").get_data(as_text=True)
    assert "Indicatie Onderwijsniveau" in text
    application = idw.application(store.record(lost), store.records(amina["id"], "education"),
                                  {})
    assert application.without_papers and not application.highest
    assert "A photo or scan of the diploma" not in application.missing
    assert "The name of the school or university" in application.missing
