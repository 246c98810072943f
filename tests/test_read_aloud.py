"""Recorded read-aloud: recordings under translations/<locale>/audio/, found by their
text, served to everyone, listed when missing (pwa/read_aloud.py)."""

from __future__ import annotations

import re
import wave

import pytest

from pwa import create_app
from pwa.cli import cli
from pwa.read_aloud import recording_key


def record(folder, text, ending=".wav"):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{recording_key(text)}{ending}"
    with wave.open(str(path), "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(b"\0\0" * 80)
    return path


@pytest.fixture
def recorded(app, tmp_path):
    app.config["RECORDINGS"] = str(tmp_path)
    return tmp_path


def test_a_recording_is_served_for_everyone_as_audio(client, recorded):
    path = record(recorded / "ti" / "audio", "ክእለት")
    response = client.get(f"/audio/ti/{path.name}")
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data() == path.read_bytes()
    response.close()


@pytest.mark.parametrize("address", [
    "/audio/xx/0123456789abcdef.wav", "/audio/ti/0123456789abcdef.exe",
    "/audio/ti/..%2F..%2Fapp.sqlite3", "/audio/ti/0123456789ABCDEF.wav",
    "/audio/ti/0123456789abcdef.wav",  # no such file
])
def test_anything_else_is_not_found(client, recorded, address):
    assert client.get(address).status_code == 404


def test_a_recorded_text_carries_its_recording_on_the_page(client, store, make_user, login,
                                                             recorded):
    person, _ = make_user("refugee", locale="en")
    login(person)
    record(recorded / "en" / "audio", "Skills")
    client.application.extensions.pop("talentkaart_recordings", None)  # read at start
    html = client.get(f"/people/{person['id']}/").get_data(as_text=True)
    [audio] = re.findall(r'data-audio="([^"]+)"', html)
    assert audio == f"/audio/en/{recording_key('Skills')}.wav"
    assert html.count("data-say") > 10  # every section's title and introduction


def test_the_command_lists_what_is_not_recorded_yet(app, recorded):
    runner = app.test_cli_runner()
    before = runner.invoke(cli, ["recordings", "nl"], catch_exceptions=False)
    assert before.exit_code == 0
    lines = before.stdout.splitlines()
    assert f"{recording_key('Vaardigheden')}.opus\tVaardigheden" in lines
    assert not any("%(" in line for line in lines)
    record(recorded / "nl" / "audio", "Vaardigheden", ".opus")
    app.extensions.pop("talentkaart_recordings", None)
    after = runner.invoke(cli, ["recordings", "nl"], catch_exceptions=False)
    assert len(after.stdout.splitlines()) == len(lines) - 1
    assert "Vaardigheden" not in after.stdout
    unknown = runner.invoke(cli, ["recordings", "xx"])
    assert unknown.exit_code != 0 and "no locale" in unknown.output


def test_without_recordings_nothing_is_played(tmp_path):
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "x.sqlite3"),
                      "SECRET_KEY": "x", "RECORDINGS": str(tmp_path / "none")})
    with app.test_request_context():
        from pwa.read_aloud import say

        assert str(say("Skills")) == " data-say"
