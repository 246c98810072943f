"""Search in one's own words: the occupation and skill pickers find cooking from the word
a person types in their language, through the real app (the label in their language,
in Dutch, in English, or the extra search words of sync/data/search_words)."""

from __future__ import annotations

import re

import pytest

COOKING = {"skill.hospitality.cooking", "skill.hospitality.large_groups", "5120.1", "3434.1"}

# locale -> words people type that must find cooking (each alone).
TABLE = {
    "ti": ["ምግቢ", "መግቢ"],  # "food", spelt two ways
    "ar": ["طبخ", "الطبخ", "شيف", "اكل"],
    "nl": ["kok", "eten", "koken"],
    "en": ["chef", "food", "cooking"],
    "fr": ["cuisinier", "nourriture", "chef"],
    "fa": ["آشپزی", "اشپزي", "غذا"],
    "fa_AF": ["آشپزی", "غذا"],
    "ps": ["خواړه", "پخلی"],
    "ckb": ["خواردن", "شێف"],
    "ku": ["xwarin", "şef"],
    "am": ["ምግብ", "ምግብ ማብሰል"],
    "so": ["cunto", "karinta"],
    "tr": ["yemek", "aşçı", "asci", "şef"],
    "uk": ["їжа", "кухар", "шеф"],
    "ru": ["еда", "повар", "шеф"],
}


@pytest.fixture
def person_in(app, make_user, login):
    def make(locale):
        person, _ = make_user("refugee", locale=locale)
        browser = app.test_client()
        login(person, test_client=browser)
        return person, browser
    return make


def found(browser, person, kind, query):
    response = browser.get(f"/people/{person['id']}/pick/{kind}", query_string={"q": query})
    assert response.status_code == 200
    return set(re.findall(r'value="([^"]+)"', response.get_data(as_text=True)))


@pytest.mark.parametrize("locale", sorted(TABLE))
def test_the_words_people_use_find_cooking(person_in, locale):
    person, browser = person_in(locale)
    for query in TABLE[locale]:
        codes = found(browser, person, "skill", query) | found(browser, person, "occupation",
                                                               query)
        assert codes & COOKING, (locale, query, codes)


def test_dutch_and_english_labels_work_in_every_language(person_in):
    person, browser = person_in("ti")
    assert "7212.1" in found(browser, person, "occupation", "lasser")  # Dutch
    assert "7212.1" in found(browser, person, "occupation", "welder")  # English


def test_a_word_for_one_thing_does_not_find_everything(person_in):
    person, browser = person_in("nl")
    codes = found(browser, person, "skill", "eten")
    assert codes and len(codes) < 12 and "skill.trades.welding" not in codes
