"""The 15 interface languages: negotiation, direction, names, plurals, formats, side by side."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel import Locale as BabelLocale
from babel import UnknownLocaleError
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.support import Translations
from flask_babel import force_locale, format_date, format_decimal, ngettext

from pwa.i18n import dutch, format_day, format_number
from sync import locales
from sync.records import INTERFACE_LOCALES

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
SHIPPED = sorted(p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
ALL = ["nl", "en", "ar", "fa", "fa_AF", "ps", "ckb", "ku", "ti", "am", "so", "tr", "uk", "ru",
       "fr"]
RTL = {"ar", "fa", "fa_AF", "ps", "ckb"}


def test_the_fifteen_locales_are_offered():
    assert sorted(INTERFACE_LOCALES) == sorted(ALL)
    assert INTERFACE_LOCALES[0] == "nl"


def test_every_catalog_is_offered_and_every_offered_locale_has_a_catalog():
    assert SHIPPED == sorted(locales.CODES)


@pytest.mark.parametrize("header, expected", [
    ("", "nl"),
    (None, "nl"),
    ("ar", "ar"),
    ("ar-SY,ar;q=0.9,en;q=0.8", "ar"),
    ("de-DE, en;q=0.5", "en"),
    ("en;q=0.5, ti;q=0.8", "ti"),
    ("ti;q=0, am", "am"),  # q=0 means "not this one"
    ("fr;q=0.3, uk;q=0.7, ru;q=0.7", "uk"),  # equal q: the one written first
    ("prs", "fa_AF"),
    ("prs-AF", "fa_AF"),
    ("fa-AF", "fa_AF"),
    ("fa_AF", "fa_AF"),
    ("fa-IR", "fa"),
    ("fa", "fa"),
    ("kmr", "ku"),
    ("ku-Latn-TR", "ku"),
    ("ku", "ku"),
    ("ckb-IQ", "ckb"),
    ("ckb-IR", "ckb"),
    ("ku-Arab-IQ", "ckb"),  # Windows' name for Sorani
    ("ps-AF", "ps"),
    ("ti-ER", "ti"),
    ("EN-us", "en"),
    ("sw, de", "nl"),  # nothing we ship
    ("*", "nl"),
    ("nl;q=abc, so;q=0.1", "so"),  # a broken q-value does not count
])
def test_negotiate_accept_language(header, expected):
    assert locales.negotiate(header) == expected


@pytest.mark.parametrize("code", ALL)
def test_direction_comes_from_cldr(code):
    assert locales.get(code).direction == ("rtl" if code in RTL else "ltr")
    assert locales.get(code).direction == BabelLocale.parse(code).text_direction


@pytest.mark.parametrize("code, name", [
    ("nl", "Nederlands"), ("en", "English"), ("ar", "العربية"), ("fa", "فارسی"),
    ("fa_AF", "دری"), ("ps", "پښتو"), ("ckb", "کوردیی سۆرانی"), ("ku", "Kurdî (Kurmancî)"),
    ("ti", "ትግርኛ"), ("am", "አማርኛ"), ("so", "Soomaali"), ("tr", "Türkçe"),
    ("uk", "Українська"), ("ru", "Русский"), ("fr", "Français"),
])
def test_picker_names_are_in_their_own_language(code, name):
    assert locales.get(code).own_name == name


def test_lang_tags_are_bcp47():
    assert locales.get("fa_AF").tag == "fa-AF"
    assert all("_" not in loc.tag for loc in locales.LOCALES.values())


def test_every_gap_names_a_real_locale_or_a_topic():
    assert set(locales.GAPS) <= set(ALL) | {"numbers", "plurals", "dates", "languages"}
    # The claims the gaps table makes, checked against Babel itself.
    with pytest.raises(UnknownLocaleError):
        BabelLocale.parse("prs")
    assert BabelLocale.parse("fa_AF").languages["fa_AF"] == "دری"
    assert BabelLocale.parse("ckb").default_numbering_system == "arab"
    assert BabelLocale.parse("fa").default_numbering_system == "arabext"


def test_the_picker_lists_every_language_with_its_own_lang_and_dir(client):
    html = client.get("/sign-in").get_data(as_text=True)
    # At the top of the page, before anything else of the sign-in page.
    assert html.index('class="lang-menu"') < html.index("<main")
    for loc in locales.LOCALES.values():
        assert (f'<button type="submit" name="locale" value="{loc.code}" lang="{loc.tag}"'
                f' dir="{loc.direction}"' in html), loc.code
        assert f">{loc.own_name}</button>" in html


@pytest.mark.parametrize("header, lang, direction", [
    ("ar", "ar", "rtl"), ("prs", "fa-AF", "rtl"), ("ckb", "ckb", "rtl"), ("ti", "ti", "ltr"),
    ("kmr", "ku", "ltr"), ("", "nl", "ltr"),
])
def test_html_carries_lang_and_dir(client, header, lang, direction):
    html = client.get("/sign-in", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{direction}">' in html


def test_a_chosen_language_beats_the_browser(client):
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/sign-in").get_data(as_text=True)).group(1)
    response = client.post("/language", data={"locale": "ti", "next": "/sign-in",
                                              "csrf_token": token})
    assert response.status_code == 303
    html = client.get("/sign-in", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="ti" dir="ltr">' in html


# Plurals: the .po's formula picks the form CLDR's category asks for.
ARABIC_SAMPLES = {0: 0, 1: 1, 2: 2, 3: 3, 11: 4, 100: 5}


def test_arabic_has_six_plural_forms_picked_by_number(app):
    with app.test_request_context(), force_locale("ar"):
        shown = {n: ngettext("%(count)s entry", "%(count)s entries", n, count=n)
                 for n in ARABIC_SAMPLES}
    assert get_plural("ar").num_plurals == 6
    assert shown[2] == "2 بندان"
    assert shown[3] == "3 بنود"
    assert shown[11] == "11 بندًا"
    assert shown[100] == "100 بند"
    assert len({text.split(" ", 1)[1] for text in shown.values()}) == 4


@pytest.mark.parametrize("code", ALL)
def test_plural_messages_pick_the_catalogs_form_for_every_count(app, code):
    """gettext's formula (the .po header, Babel's for the locale) picks a filled-in form."""
    translations = Translations.load(str(TRANSLATIONS), [code])
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as f:
        forms = read_po(f, locale=code)[("%(count)s entry", "%(count)s entries")].string
    assert len(forms) == get_plural(code).num_plurals
    with app.test_request_context(), force_locale(code):
        for n in (0, 1, 2, 3, 5, 11, 21, 100, 1001):
            shown = ngettext("%(count)s entry", "%(count)s entries", n, count=n)
            assert shown == forms[translations.plural(n)] % {"count": n}
            assert str(n) in shown


@pytest.mark.parametrize("code, n, expected", [
    ("ru", 1, "1 запись"), ("ru", 3, "3 записи"), ("ru", 5, "5 записей"), ("ru", 21, "21 запись"),
    ("uk", 2, "2 записи"), ("uk", 11, "11 записів"),
    ("fr", 0, "0 élément"), ("fr", 2, "2 éléments"),
    ("ti", 0, "0 ክፋል"), ("ti", 2, "2 ክፋላት"),
])
def test_slavic_french_and_tigrinya_plural_rules(app, code, n, expected):
    with app.test_request_context(), force_locale(code):
        assert ngettext("%(count)s entry", "%(count)s entries", n, count=n) == expected


@pytest.mark.parametrize("code", ALL)
def test_dates_and_numbers_format_in_every_locale(app, code):
    with app.test_request_context(), force_locale(code):
        long_date = format_date(date(2026, 3, 3), "long")
        day = format_day("2026-03-03")
        number = format_decimal(1234.5)
        hours = format_number(2.5)
    assert "2026" in long_date and day
    # Latin digits everywhere (see locales.GAPS["numbers"]).
    assert re.fullmatch(r"1[.,\u00a0\u202f ]?234[.,]5", number), number
    assert re.fullmatch(r"2[.,]5", hours), hours


@pytest.mark.parametrize("code, text", [
    ("ar", "3 مارس 2026"), ("fa_AF", "3 مارچ 2026"), ("ti", "መጋቢት 3, 2026"),
    ("nl", "3 maart 2026"), ("ku", "3ê adara 2026an"),
])
def test_month_names_are_the_locales(app, code, text):
    with app.test_request_context(), force_locale(code):
        assert format_date(date(2026, 3, 3), "long") == text


def test_arabic_numbers_use_latin_digits_as_babel_does(app):
    with app.test_request_context(), force_locale("ar"):
        assert format_decimal(1234.5) == "1,234.5"
    with app.test_request_context(), force_locale("fa"):
        assert format_decimal(1234.5) == "1,234.5"


# Side by side: Dutch under the refugee's language.

def test_dutch_reads_the_dutch_catalog_whatever_the_locale(app):
    with app.test_request_context(), force_locale("ar"):
        assert dutch("Sign in") == "Inloggen"
        assert dutch("") == ""


def _token(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def arabic_refugee(make_user, login, client):
    user, _ = make_user("refugee", name="Amina Yusuf", locale="ar")
    login(user)
    return user


def test_side_by_side_shows_dutch_under_labels_hints_and_choices(client, arabic_refugee):
    page = f"/people/{arabic_refugee['id']}/basics"
    html = client.get(page).get_data(as_text=True)
    assert 'class="dutch"' not in html
    response = client.post("/side-by-side", data={"next": page,
                                                  "csrf_token": _token(client, page)})
    assert response.status_code == 303 and response.headers["Location"] == page
    html = client.get(page).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    dutch_texts = re.findall(r'<span class="dutch" lang="nl" dir="ltr">([^<]+)</span>', html)
    assert len(dutch_texts) > 5
    assert "Je naam" in dutch_texts
    assert "De naam waarmee je aangesproken wilt worden." in dutch_texts


def test_side_by_side_switches_off_again(client, arabic_refugee):
    page = f"/people/{arabic_refugee['id']}/basics"
    for _ in range(2):
        client.post("/side-by-side", data={"next": page, "csrf_token": _token(client, page)})
    assert 'class="dutch"' not in client.get(page).get_data(as_text=True)


def test_side_by_side_shows_dutch_section_titles_on_the_overview(client, arabic_refugee):
    page = f"/people/{arabic_refugee['id']}/"
    client.post("/side-by-side", data={"next": page, "csrf_token": _token(client, page)})
    html = client.get(page).get_data(as_text=True)
    assert '<span class="dutch" lang="nl" dir="ltr">Werkervaring</span>' in html


def test_side_by_side_is_not_offered_on_dutch_pages(client, make_user, login):
    user, _ = make_user("refugee", locale="nl")
    login(user)
    page = f"/people/{user['id']}/basics"
    html = client.get(page).get_data(as_text=True)
    assert "/side-by-side" not in html
    client.post("/side-by-side", data={"next": page, "csrf_token": _token(client, page)})
    assert 'class="dutch"' not in client.get(page).get_data(as_text=True)


@pytest.mark.parametrize("code", ALL)
def test_the_languages_cldr_does_not_name_are_recorded(code):
    """No silent fallback: a change in Babel's data shows up here first."""
    from sync.kinds import LANGUAGE_NAME_KEYS, SPOKEN_LANGUAGES

    names = BabelLocale.parse(code).languages
    unnamed = {c for c in SPOKEN_LANGUAGES if not names.get(LANGUAGE_NAME_KEYS.get(c, c))}
    assert unnamed == locales.UNNAMED_LANGUAGES.get(code, frozenset())


def test_an_unnamed_language_is_shown_by_its_own_name(app):
    from pwa.i18n import language_name

    with app.test_request_context(), force_locale("ckb"):
        assert language_name("prs") == "دری"  # Dari, which CLDR does not name in Sorani
    with app.test_request_context(), force_locale("so"):
        assert language_name("tl") == "Tagalog"  # its own name in its own script
        assert language_name("cr") == "Cree"  # CLDR knows no Cree: English stands in


@pytest.mark.parametrize(("code", "hours", "expected"), [
    ("ar", 3, "3 ساعات"), ("ar", 1, "1 ساعة"), ("ar", 11, "11 ساعةً"),
    ("fr", 1, "1 heure"), ("fr", 1.5, "1,5 heure"), ("fr", 2, "2 heures"),
    ("en", 1, "1 hour"), ("en", 1.5, "1.5 hours"),
    ("ru", 1.5, "1,5 часа"), ("ru", 5, "5 часов"), ("uk", 1.5, "1,5 години"),
    ("nl", 1, "1 uur"),
])
def test_hours_take_the_plural_form_of_their_number(app, code, hours, expected):
    """Before, "%(hours)s hours" was one form for every number ("3 ساعة", "1 heures")."""
    from pwa.i18n import plural_text

    with app.test_request_context(), force_locale(code):
        assert plural_text("%(hours)s hour", "%(hours)s hours", hours,
                           hours=format_number(hours)) == expected


def test_no_message_puts_a_count_in_a_single_form():
    """A number in a message goes through ngettext: no plain msgid has a count in it."""
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        catalog = read_po(f)
    counting = re.compile(r"%\((count|hours|days|minutes|weeks|months|num|max)\)s\s+\w")
    single = [m.id for m in catalog if m.id and isinstance(m.id, str) and counting.search(m.id)]
    assert single == []
