"""Read aloud, in Chromium at 360 px: a speaker beside a question only when the phone has
a voice for the page's language, never another language's; a recording played instead
where someone made one, and kept for use offline.

The phone's voices are stubbed (a headless browser has none): the stub lists the voices
a test gives and notes what was said, with which voice.
"""

from __future__ import annotations

import json
import wave

import pytest
from playwright.sync_api import Browser, expect

from pwa.read_aloud import recording_key
from tests.browser.conftest import PHONE
from tests.browser.helpers import add_location, add_user, page_gettext, sign_in
from tests.browser.offline_helpers import wait_until

# ``__voices`` (set per test) is what the phone lists; ``__said`` what it spoke;
# ``__unusable``: the engine refuses that language, as Android does for a voice it lists
# but has not installed.
STUB = """(() => {
  window.__voices = window.__voices || [];
  window.__said = [];
  speechSynthesis.getVoices = () => window.__voices;
  window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
  speechSynthesis.speak = (u) => {
    window.__said.push({ text: u.text, lang: u.lang, voice: u.voice && u.voice.name });
    if (window.__unusable && u.onerror) u.onerror({ error: "language-unavailable" });
  };
  speechSynthesis.cancel = () => {};
})();"""


def phone_with_voices(browser: Browser, voices: list[dict], unusable: bool = False):
    context = browser.new_context(**PHONE, locale="nl-NL", bypass_csp=True)
    context.set_default_timeout(15_000)
    context.add_init_script(f"window.__voices = {json.dumps(voices)}; "
                            f"window.__unusable = {json.dumps(unusable)};")
    context.add_init_script(STUB)
    return context


def voice(name, lang, local=True):
    return {"name": name, "lang": lang, "localService": local, "default": False,
            "voiceURI": name}


@pytest.fixture
def tigrinya(live_store):
    add_location(live_store)
    return add_user(live_store, "refugee", "tesfay", "Tesfay Gebremichael", locale="ti")


def open_skill_form(page, base, person):
    sign_in(page, base, person["username"])
    page.goto(f"{base}/people/{person['id']}/skills/new")
    page.wait_for_load_state("networkidle")


def test_with_a_voice_for_the_language_a_question_is_read_in_it(browser, base, tigrinya):
    context = phone_with_voices(browser, [voice("English", "en-US"), voice("Tigrinya", "ti-ER")])
    page = context.new_page()
    open_skill_form(page, base, tigrinya)
    level = page.locator("fieldset", has=page.locator("input[name=level]"))
    speaker = level.get_by_role("button", name=page_gettext(page)("Read aloud"))
    expect(speaker).to_have_count(1)
    speaker.click()
    [said] = page.evaluate("window.__said")
    # The question, then its choices, in Tigrinya, with the Tigrinya voice.
    assert (said["lang"], said["voice"]) == ("ti", "Tigrinya")
    legend = level.locator("legend [data-say]").inner_text()
    first = level.locator("label.choice > span").first.inner_text()
    assert said["text"].startswith(f"{legend}. {first}")
    context.close()


def test_without_a_voice_for_the_language_there_is_no_button(browser, base, tigrinya):
    # Amharic is close, English is the phone's own: neither may read Tigrinya.
    context = phone_with_voices(browser, [voice("English", "en-US"), voice("Amharic", "am-ET")])
    page = context.new_page()
    open_skill_form(page, base, tigrinya)
    expect(page.locator("[data-say]").first).to_be_attached()
    assert page.locator("button.say").count() == 0
    context.close()


def test_a_voice_the_phone_lists_but_cannot_use_is_not_offered_again(browser, base, tigrinya):
    context = phone_with_voices(browser, [voice("Tigrinya", "ti-ER")], unusable=True)
    page = context.new_page()
    open_skill_form(page, base, tigrinya)
    page.locator("button.say").first.click()
    expect(page.locator("button.say")).to_have_count(0)
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("button.say").count() == 0
    context.close()


def test_a_recording_is_played_instead_and_kept_for_offline(browser, base, live_app, tigrinya,
                                                            tmp_path):
    # The section introduction of Skills on the home page, as Tigrinya shows it.
    context = phone_with_voices(browser, [])
    page = context.new_page()
    sign_in(page, base, tigrinya["username"])
    # The phone as it is after its first visit: the worker in control.
    wait_until(page, "() => !!navigator.serviceWorker.controller", what="the worker in control")
    skills = page.locator("ul.section-list li", has=page.locator("a[href$='/skills/']"))
    intro = skills.locator(".muted [data-say]").inner_text()
    folder = tmp_path / "ti" / "audio"
    folder.mkdir(parents=True)
    with wave.open(str(folder / f"{recording_key(intro)}.wav"), "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(b"\0\0" * 800)  # a tenth of a second of silence
    live_app.config["RECORDINGS"] = str(tmp_path)
    live_app.extensions.pop("talentkaart_recordings", None)
    try:
        page.add_init_script("""HTMLMediaElement.prototype.play = function () {
          (window.__played = window.__played || []).push(this.src); return Promise.resolve(); };""")
        page.reload()
        # No voice at all: only the recorded text has a speaker, and it plays the file.
        speakers = page.locator("button.say")
        expect(speakers).to_have_count(1)
        expect(skills.locator("button.say")).to_have_count(1)
        skills.locator("button.say").click()
        [played] = page.evaluate("window.__played")
        assert played.endswith(f"/audio/ti/{recording_key(intro)}.wav")
        wait_until(page, """async (url) => !!(await caches.match(url, { ignoreSearch: true }))""",
                   played, what="the recording kept by the worker")
    finally:
        live_app.config.pop("RECORDINGS", None)
        live_app.extensions.pop("talentkaart_recordings", None)
        context.close()


def test_the_voice_is_chosen_by_language_never_another(browser, base):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{base}/sign-in")
    chosen = page.evaluate("""async () => {
      const { pickVoice } = await import("/static/js/readaloud.js");
      const v = (name, lang, localService = true) => ({ name, lang, localService });
      const all = [v("en", "en-US"), v("fa-net", "fa-IR", false), v("fa", "fa_IR"),
                   v("ar-eg", "ar-EG"), v("ar", "ar", false), v("am", "am-ET")];
      return {
        dari: pickVoice(all, "fa-AF")?.name,      // Persian, installed first
        arabic: pickVoice(all, "ar")?.name,       // the same tag before a local one
        tigrinya: pickVoice(all, "ti")?.name ?? null,
        sorani: pickVoice(all, "ckb")?.name ?? null,
        none: pickVoice([], "nl") };
    }""")
    assert chosen == {"dari": "fa", "arabic": "ar", "tigrinya": None, "sorani": None,
                      "none": None}
    context.close()
