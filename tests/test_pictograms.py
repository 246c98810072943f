"""The pictograms: one sprite, every picture a page asks for is in it, choices get theirs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from pwa import ROOT
from pwa.pictograms import AREA_ICONS, CHOICE_ICONS, choice_icons
from pwa.profile import SECTIONS
from sync import taxonomy
from sync.records import LEARNED_HOW, SKILL_LEVELS, WORK_FORMS

SPRITE = ROOT / "static" / "icons" / "sprite.svg"
SVG = "{http://www.w3.org/2000/svg}"


def symbols() -> set[str]:
    tree = ET.parse(SPRITE)
    found = tree.getroot().findall(f"{SVG}symbol")
    assert all(s.get("viewBox") == "0 0 24 24" for s in found)
    return {s.get("id") for s in found}


def test_every_picture_asked_for_is_in_the_sprite():
    asked = {name for icons in CHOICE_ICONS.values() for name in icons.values()}
    asked |= set(AREA_ICONS.values())
    asked |= {s.slug for s in SECTIONS.values() if s.in_overview}
    for template in (ROOT / "templates").rglob("*.html"):
        asked |= set(re.findall(r'icon\("([a-z0-9-]+)"\)', template.read_text()))
    asked |= set(re.findall(r"#([a-z0-9-]+)`", (ROOT / "static/js/readaloud.js").read_text()))
    assert asked - symbols() == set()


def test_every_skill_area_has_a_picture():
    assert {a.code for a in taxonomy.AREAS} == set(AREA_ICONS)


def test_a_choice_list_gets_pictures_only_when_every_choice_has_one():
    assert set(choice_icons("work_form", WORK_FORMS)) == {c for c, _ in WORK_FORMS}
    assert set(choice_icons("learned", LEARNED_HOW)) == {c for c, _ in LEARNED_HOW}
    assert set(choice_icons("level", SKILL_LEVELS)) == {c for c, _ in SKILL_LEVELS}
    assert choice_icons("level", [("1", "A"), ("9", "Z")]) == {}
    assert choice_icons("residence", [("x", "X")]) == {}


def test_the_skill_form_shows_the_levels_as_a_scale_and_the_areas(client, make_user, login):
    person, _ = make_user("refugee", locale="ar")
    login(person)
    html = client.get(f"/people/{person['id']}/skills/new").get_data(as_text=True)
    for name in ("level-1", "level-4", "house", "cooking", "palette"):
        assert f'sprite.svg#{name}"' in html or "sprite.svg?" in html and f"#{name}\"" in html
    # Hidden from screen readers (the text beside says it), the back arrow mirrored.
    assert 'class="icon icon--mirror" aria-hidden="true"' in html
    assert 'lang="ar" dir="rtl"' in html
