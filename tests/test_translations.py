"""Every shipped catalog is complete, compiled and safe to format.

A missing or fuzzy translation falls back to English without any error, so these
tests are the only thing that notices a gap before a refugee or a coach does.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from sync import taxonomy
from sync.records import RECORD_TYPES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LOCALES = sorted(p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))

# %(name)s (any conversion) and {name}: gettext and str.format placeholders.
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]?\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|\{(\w*)\}")


def placeholders(text: str) -> set[str]:
    """The named placeholders in ``text``, written as they appear."""
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}


def _key(value):
    # Plural ids and strings come back as tuples from .po and as lists from .mo.
    return tuple(value) if isinstance(value, (list, tuple)) else value


def messages(catalog) -> dict:
    """msgid -> msgstr of every message but the header."""
    return {_key(m.id): _key(m.string) for m in catalog if m.id}


def load_po(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """A fresh extraction of the source, with the options of scripts/i18n."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    # The keywords as scripts/i18n lists them: one list, so the two never drift apart.
    keywords = re.findall(r"-k (\S+)", (ROOT / "scripts" / "i18n").read_text())
    assert "N_plural:1,2" in keywords
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
         "-F", "babel.cfg", *[arg for k in keywords for arg in ("-k", k)], "--no-location",
         "--ignore-dirs", ".venv node_modules .* _* build tests bench",
         "-o", str(pot), "."],
        cwd=ROOT, check=True)
    with open(pot, "rb") as f:
        return read_po(f)


@pytest.fixture(scope="module", params=LOCALES)
def catalog(request):
    """One shipped locale's .po catalog."""
    return load_po(request.param)


def test_dutch_and_english_are_shipped():
    assert {"nl", "en"} <= set(LOCALES)


def test_catalog_covers_every_message_in_the_source(catalog, extracted):
    have = messages(catalog)
    missing = [m.id for m in extracted if m.id and _key(m.id) not in have]
    assert missing == [], f"{catalog.locale}: run ./scripts/i18n update and translate these"


def test_catalog_has_no_fuzzy_entries(catalog):
    fuzzy = [m.id for m in catalog if m.fuzzy]
    assert fuzzy == []


def test_catalog_has_no_empty_translations(catalog):
    empty = [m.id for m in catalog if m.id and (
        not all(m.string) if isinstance(m.string, tuple) else not m.string)]
    assert empty == []


def test_plural_entries_have_every_form(catalog):
    wrong = [m.id for m in catalog if m.id and m.pluralizable
             and len(m.string) != catalog.num_plurals]
    assert wrong == []


def test_placeholders_match_between_source_and_translation(catalog):
    wrong = []
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        expected = set().union(*(placeholders(i) for i in ids))
        for s in strings:
            if placeholders(s) != expected:
                wrong.append((m.id, s))
    assert wrong == []


def test_plural_forms_header_is_babels_for_the_locale(catalog):
    header = dict(catalog.mime_headers)["Plural-Forms"]
    assert header == get_plural(str(catalog.locale)).plural_forms


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalog_matches_the_po(locale):
    """The committed .mo is what the app reads: it must be rebuilt after every .po edit."""
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = messages(read_mo(f))
    assert compiled == messages(load_po(locale)), "run ./scripts/i18n compile"


def taxonomy_labels() -> list[str]:
    """Every label of the curated occupations, sectors, skill areas and skills."""
    entries = [*taxonomy.OCCUPATIONS, *taxonomy.SECTORS, *taxonomy.AREAS, *taxonomy.SKILLS]
    return sorted({e.label for e in entries})


def record_type_texts() -> list[str]:
    """Every field label, hint and choice label of the profile's record types."""
    texts = set()
    for record_type in RECORD_TYPES.values():
        for f in record_type.fields:
            texts.add(f.label)
            if f.hint:
                texts.add(f.hint)
            texts.update(label for _, label in f.choices)
    return sorted(texts)


@pytest.mark.parametrize("kind, texts", [
    ("taxonomy", taxonomy_labels()),
    ("record types", record_type_texts()),
])
def test_data_labels_are_translated(catalog, kind, texts):
    have = {k: v for k, v in messages(catalog).items() if isinstance(k, str) and v}
    assert len(texts) > 10
    missing = [t for t in texts if t not in have]
    assert missing == [], f"{catalog.locale}: {kind} labels without a translation"


def test_sign_in_page_is_dutch_for_a_dutch_browser(client):
    html = client.get("/sign-in", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert '<html lang="nl"' in html
    assert "<h1>Inloggen</h1>" in html
