"""The curated taxonomy: consistent codes and a search that forgives accents."""

from __future__ import annotations

import re

import pytest

from sync import taxonomy

# A few Dutch labels, as the Dutch catalog would give them.
DUTCH = {
    "Hotels, restaurants and cafés": "Horeca (hotels, restaurants en cafés)",
    "Welder": "Lasser",
    "Weld metal": "Metaal lassen",
    "Truck driver": "Vrachtwagenchauffeur",
    "Taxi driver": "Taxichauffeur",
    "Bus driver": "Buschauffeur",
    "Cook": "Kok",
    "Nurse": "Verpleegkundige",
}


def dutch(msgid: str) -> str:
    return DUTCH.get(msgid, msgid)


def english(msgid: str) -> str:
    return msgid


def codes(entries) -> list[str]:
    return [e.code for e in entries]


def test_codes_are_unique_across_each_list():
    for entries in (taxonomy.OCCUPATIONS, taxonomy.SKILLS, taxonomy.SECTORS, taxonomy.AREAS):
        assert len(codes(entries)) == len(set(codes(entries)))


def test_labels_are_unique_within_each_list():
    for entries in (taxonomy.OCCUPATIONS, taxonomy.SKILLS, taxonomy.SECTORS, taxonomy.AREAS):
        labels = [e.label for e in entries]
        assert len(labels) == len(set(labels))


def test_lists_have_the_intended_size():
    assert 80 <= len(taxonomy.OCCUPATIONS) <= 130
    assert 15 <= len(taxonomy.SECTORS) <= 25
    assert len(taxonomy.AREAS) == 15
    assert 100 <= len(taxonomy.SKILLS) <= 150


def test_occupation_codes_are_an_isco_unit_group_plus_suffix():
    for occupation in taxonomy.OCCUPATIONS:
        assert re.fullmatch(r"\d{4}", occupation.isco)
        assert re.fullmatch(r"\d{4}\.\d+", occupation.code)
        assert occupation.code.startswith(occupation.isco + ".")


@pytest.mark.parametrize(("label", "isco"), [
    ("Welder", "7212"), ("Nurse", "2221"), ("Cook", "5120"), ("Taxi driver", "8322"),
    ("Truck driver", "8332"), ("Electrician", "7411"), ("Plumber", "7126"),
    ("Software developer", "2512"), ("Primary school teacher", "2341"),
    ("Hairdresser", "5141"), ("Baker", "7512"), ("Tailor", "7531"), ("Cleaner", "9112"),
    ("Waiter", "5131"), ("Kitchen helper", "9412"), ("Warehouse worker", "4321"),
    ("Forklift driver", "8344"), ("Gardener", "6113"), ("Nursing assistant", "5321"),
    ("Doctor (general practitioner)", "2211"), ("Pharmacist", "2262"), ("Dentist", "2261"),
    ("Childcare worker", "5311"), ("Interpreter", "2643"), ("Civil engineer", "2142"),
])
def test_well_known_occupations_have_the_right_isco_group(label, isco):
    [occupation] = [o for o in taxonomy.OCCUPATIONS if o.label == label]
    assert occupation.isco == isco


def test_every_occupation_belongs_to_a_known_sector():
    for occupation in taxonomy.OCCUPATIONS:
        assert taxonomy.is_known("sector", occupation.sector), occupation


def test_every_skill_belongs_to_a_known_area_named_in_its_code():
    for skill in taxonomy.SKILLS:
        assert taxonomy.area(skill.area) is not None, skill
        assert skill.code.startswith("skill." + skill.area.removeprefix("area.") + ".")


def test_skills_by_area_keeps_every_skill_once_in_list_order():
    grouped = taxonomy.skills_by_area()
    assert [area for area, _ in grouped] == list(taxonomy.AREAS)
    assert all(skills for _, skills in grouped)
    flat = [s for _, skills in grouped for s in skills]
    assert sorted(codes(flat)) == sorted(codes(taxonomy.SKILLS))
    trades = dict(grouped)[taxonomy.area("area.trades")]
    assert trades[0].label == "Weld metal"


def test_lookups_return_the_entry():
    assert taxonomy.occupation("7212.1").label == "Welder"
    assert taxonomy.skill("skill.trades.welding").label == "Weld metal"
    assert taxonomy.sector("sector.care").label == "Health care and welfare"
    assert taxonomy.label("occupation", "8332.1") == "Truck driver"


@pytest.mark.parametrize("code", ["", None, "7212", "9999.1", "skill.trades", "WELDER"])
def test_unknown_codes_are_not_found(code):
    assert taxonomy.occupation(code) is None
    assert taxonomy.skill(code) is None
    assert taxonomy.sector(code) is None
    assert taxonomy.label("occupation", code) is None
    assert not taxonomy.is_known("occupation", code)


def test_codes_of_one_kind_are_unknown_as_another():
    assert taxonomy.is_known("occupation", "7212.1")
    assert not taxonomy.is_known("skill", "7212.1")
    assert not taxonomy.is_known("sector", "skill.trades.welding")


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(taxonomy.UnknownKindError):
        taxonomy.is_known("hobby", "7212.1")
    with pytest.raises(taxonomy.UnknownKindError):
        taxonomy.search("hobby", "we", english)


@pytest.mark.parametrize("query", ["", "   ", "-", "?!"])
def test_an_empty_query_finds_nothing(query):
    assert taxonomy.search("occupation", query, english) == []


def test_search_ranks_labels_starting_with_the_query_first():
    found = [e.label for e in taxonomy.search("occupation", "car", english)]
    assert found == ["Car mechanic", "Care worker for elderly people", "Carpenter",
                     "Building caretaker", "Home care worker"]


def test_search_matches_word_starts_not_the_middle_of_words():
    found = [e.label for e in taxonomy.search("occupation", "driver", english)]
    assert found == ["Bus driver", "Delivery van driver", "Forklift driver", "Taxi driver",
                     "Truck driver"]
    assert taxonomy.search("occupation", "river", english) == []
    # "Vrachtwagenchauffeur": "chauffeur" is inside the word, not at its start.
    assert codes(taxonomy.search("occupation", "chauffeur", dutch)) == []


def test_search_puts_matches_in_the_users_language_before_english_only_ones():
    found = [dutch(e.label) for e in taxonomy.search("occupation", "driver", dutch)]
    # Untranslated labels match in the shown text; the Dutch ones only in English.
    assert found == ["Delivery van driver", "Forklift driver",
                     "Buschauffeur", "Taxichauffeur", "Vrachtwagenchauffeur"]


def test_search_sorts_equal_matches_by_the_translated_label():
    found = [dutch(e.label) for e in taxonomy.search("occupation", "k", dutch)]
    assert found == ["Kitchen helper", "Kok"]


def test_search_finds_english_words_in_any_language():
    assert codes(taxonomy.search("occupation", "weld", dutch)) == ["7212.1"]
    assert codes(taxonomy.search("occupation", "lass", dutch)) == ["7212.1"]


def test_search_ignores_accents_and_case():
    found = codes(taxonomy.search("sector", "CAFE", dutch))
    assert found == ["sector.hospitality"]
    found = codes(taxonomy.search("sector", "horeca", dutch))
    assert found == ["sector.hospitality"]


def test_search_matches_every_query_word_in_any_order():
    assert codes(taxonomy.search("skill", "metal weld", english)) == ["skill.trades.welding"]
    assert codes(taxonomy.search("skill", "weld wood", english)) == []


def test_search_works_in_arabic_script():
    arabic = {"Welder": "لحّام", "Weld metal": "لحام المعادن"}

    def translate(msgid: str) -> str:
        return arabic.get(msgid, msgid)

    # Typed without the shadda, as people usually do.
    assert codes(taxonomy.search("occupation", "لحام", translate)) == ["7212.1"]
    assert codes(taxonomy.search("skill", "المعادن", translate)) == ["skill.trades.welding"]


def test_search_respects_the_limit():
    assert len(taxonomy.search("skill", "a", english, limit=5)) == 5


# -- search in one's own words -------------------------------------------------------


@pytest.mark.parametrize(("typed", "label"), [
    ("اشپزي", "آشپزی"),  # Arabic yeh for Persian yeh, no madda
    ("مكتبه", "مکتبة"),  # Arabic kaf, heh for teh marbuta
    ("اسعاف", "إسعاف"),  # hamza below left out
    ("طبخ", "طبّـخ"),  # no shadda, no tatweel
    ("ምግቢ", "መግቢ"),  # Tigrinya: another vowel of the same consonants
    ("cafe", "Café"),
])
def test_letters_people_type_for_one_another_fold_alike(typed, label):
    assert taxonomy.fold(typed) == taxonomy.fold(label)


def test_the_arabic_article_may_be_left_out_or_typed():
    arabic = {"Cook for large groups": "الطبخ لمجموعات كبيرة", "Cook meals": "طبخ الوجبات"}

    def translate(msgid: str) -> str:
        return arabic.get(msgid, msgid)

    found = codes(taxonomy.search("skill", "طبخ", translate))
    assert {"skill.hospitality.large_groups", "skill.hospitality.cooking"} <= set(found)
    assert "skill.hospitality.cooking" in codes(taxonomy.search("skill", "الطبخ", translate))


def test_search_finds_dutch_labels_in_any_language():
    found = codes(taxonomy.search("occupation", "lasser", english, dutch=dutch))
    assert found == ["7212.1"]
    assert codes(taxonomy.search("occupation", "lasser", english)) == []


def test_search_words_find_what_the_labels_do_not_say_after_the_labels():
    words = {"skill.hospitality.cooking": ["meat stew", "kitchen"]}
    found = codes(taxonomy.search("skill", "kitchen", english, words=words))
    # The label "Wash dishes in a professional kitchen" first, then the search word.
    assert found[-1] == "skill.hospitality.cooking" and len(found) >= 2
    assert codes(taxonomy.search("skill", "stew", english, words=words)) == [
        "skill.hospitality.cooking"]


CODES = {e.code for kind in taxonomy.KINDS for e in taxonomy.entries(kind)}


@pytest.mark.parametrize("path", sorted(taxonomy.SEARCH_WORDS.glob("*.json")),
                         ids=lambda p: p.stem)
def test_every_search_word_list_names_known_codes_with_words(path):
    import json

    from sync import locales

    assert path.stem in locales.CODES
    words = json.loads(path.read_text(encoding="utf-8"))
    assert set(words) <= CODES, set(words) - CODES
    for code, items in words.items():
        assert isinstance(items, list) and items, code
        assert all(isinstance(w, str) and w.strip() == w and w for w in items), code
        assert len(items) == len(set(items)), code
    # The cooking entries say it in the words people use (see the next test).
    assert {"skill.hospitality.cooking", "5120.1"} <= set(words)


def test_a_locale_without_a_list_has_no_words():
    assert taxonomy.search_words("xx") == {}
