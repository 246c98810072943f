"""Which pictogram (a symbol of static/icons/sprite.svg) goes with which choice: in one
place, for the forms, the skill picker and the home page."""

from __future__ import annotations

from flask import g, url_for
from markupsafe import Markup, escape

# Pictures that point somewhere: the other way in right-to-left pages.
MIRRORED = frozenset({"back", "send"})

# Choices a picture says better than a word, by field name and code.
CHOICE_ICONS: dict[str, dict[str, str]] = {
    "work_form": {"employment": "work", "own_business": "shop", "study": "education",
                  "volunteering": "volunteering"},
    "learned": {"work": "work", "education": "education", "life": "house"},
    # The skill levels as a scale: one to four bars filled.
    "level": {"1": "level-1", "2": "level-2", "3": "level-3", "4": "level-4"},
}

# Skill areas when browsing the skills.
AREA_ICONS: dict[str, str] = {
    "area.trades": "skills", "area.construction": "construction", "area.care": "care",
    "area.hospitality": "cooking", "area.logistics": "truck", "area.agriculture": "plant",
    "area.cleaning": "cleaning", "area.office": "office", "area.sales": "bag",
    "area.digital": "laptop", "area.languages": "languages", "area.education": "child",
    "area.soft": "people", "area.business": "shop", "area.creative": "palette",
}


def choice_icons(field_name: str, choices: list[tuple[str, str]]) -> dict[str, str]:
    """The pictograms of a field's choices, when every choice has one (else none: a
    list where only some choices have a picture reads worse than one with none)."""
    icons = CHOICE_ICONS.get(field_name, {})
    return icons if choices and all(str(code) in icons for code, _ in choices) else {}


def icon(name: str) -> Markup:
    """A pictogram of the sprite, hidden from screen readers: the text beside it says
    the same. A function, not a template macro: a page draws dozens."""
    sprite = g.get("sprite_url")
    if sprite is None:
        sprite = g.sprite_url = url_for("static", filename="icons/sprite.svg")
    mirrored = " icon--mirror" if name in MIRRORED else ""
    # Our own markup around a name from our code and the static file's address.
    return Markup(f'<svg class="icon{mirrored}" aria-hidden="true" focusable="false">'  # noqa: S704
                  f'<use href="{escape(sprite)}#{escape(name)}"/></svg>')


def init_app(app) -> None:
    app.jinja_env.globals.update(icon=icon, choice_icons=choice_icons, area_icons=AREA_ICONS)
