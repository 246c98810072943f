"""The interface languages Talentkaart ships, in one place (no Flask).

Each locale has its Babel code (the catalog's folder name), the BCP 47 tag for
``<html lang>``, other codes that browsers or people use for it, its name in its
own language and script, and its writing direction. Direction and names come
from CLDR (through Babel); where CLDR has a gap or an odd name, ``GAPS`` says so
and ``_OWN_NAMES`` holds the name we use instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from babel import Locale as BabelLocale
from babel.core import UnknownLocaleError

# Staff read profiles in Dutch; Dutch is also what a browser gets when nothing matches.
DEFAULT = "nl"


@dataclass(frozen=True)
class Locale:
    """One interface language."""

    code: str  # Babel's code and the folder under translations/: "fa_AF"
    tag: str  # BCP 47, for lang="": "fa-AF"
    aliases: tuple[str, ...]  # other tags that mean this locale: "prs"
    own_name: str  # in its own language and script, for the picker: "دری"
    direction: str  # "rtl" or "ltr", from CLDR


# Names CLDR writes in a way our people would not pick out of a list.
_OWN_NAMES = {
    # CLDR: "kurdî (kurmancî)", lower case as in running text.
    "ku": "Kurdî (Kurmancî)",
    # CLDR: "کوردیی ناوەندی" ("Central Kurdish"), a linguists' name; speakers say Sorani.
    "ckb": "کوردیی سۆرانی",
}

# code -> aliases (lower case; "_" and "-" are treated alike).
_ALIASES: dict[str, tuple[str, ...]] = {
    "nl": ("nl-nl", "nl-be"),
    "en": (),
    "ar": (),
    "fa": ("fa-ir", "pes"),
    # Dari: ISO 639-3 "prs", unknown to CLDR, whose Dari is Persian as written in Afghanistan.
    "fa_AF": ("fa-af", "prs", "prs-af"),
    "ps": ("pbt", "pbu"),
    # Windows calls Sorani "ku-Arab-IQ".
    "ckb": ("ckb-iq", "ckb-ir", "ku-arab", "ku-arab-iq", "ku-arab-ir"),
    # Kurmanji: ISO 639-3 "kmr"; CLDR files it under the macrolanguage "ku" (Latin script).
    "ku": ("kmr", "kmr-latn", "ku-latn", "ku-latn-tr", "ku-tr"),
    "ti": ("ti-er", "ti-et"),
    "am": (),
    "so": (),
    "tr": (),
    "uk": (),
    "ru": (),
    "fr": (),
}

# What CLDR/Babel lacks per locale, and what we do about it. Checked with Babel
# 2.19 (CLDR 47); tests/test_locales.py checks the claims that can be checked.
GAPS: dict[str, str] = {
    "fa_AF": "CLDR has no 'prs' (Dari): we use fa_AF, whose own name in CLDR is 'دری', "
             "and map prs, prs-AF and fa-AF to it. Plural rules, dates and numbers are "
             "Persian's (fa) with Afghan month names ('مارچ').",
    "ku": "CLDR files Kurmanji under the macrolanguage 'ku' (Latin script); Babel itself "
          "reads 'kmr' as ku_Latn_TR. We map kmr and ku-Latn to ku. Own name in CLDR is "
          "lower case: we write 'Kurdî (Kurmancî)'.",
    "ckb": "CLDR's own name 'کوردیی ناوەندی' (Central Kurdish) is a formal name: the picker "
           "says 'کوردیی سۆرانی'. CLDR names fewer languages (Dari among them) and 2 fewer "
           "territories in ckb than in English: see UNNAMED_LANGUAGES.",
    "ps": "CLDR names fewer languages in ps (about 450 of 670): see UNNAMED_LANGUAGES.",
    "so": "CLDR names fewer languages in so (about 450 of 670): see UNNAMED_LANGUAGES.",
    "languages": "A spoken language CLDR does not name in the reader's locale is shown "
                      "by its own name, in its own script ('دری' for Dari in Sorani), never "
                      "silently in English; only where CLDR has no data for the language "
                      "itself (Cree, Kongo, Avestan ...) does English stand in. Which ones, "
                      "per locale: UNNAMED_LANGUAGES.",
    "ti": "CLDR's ti is Ethiopian Tigrinya (ti_ET); Eritrean users (ti_ER) share the "
          "catalog. Dates use the Gregorian calendar with Tigrinya month names.",
    "numbers": "fa, fa_AF and ps default to Extended Arabic-Indic digits (۱۲۳) and ckb to "
               "Arabic-Indic digits (١٢٣) in CLDR; ar defaults to Latin digits. We format "
               "every number and date with Latin digits (Babel's 'latn' numbering, its "
               "default for format_decimal) because the forms, PINs and usernames take "
               "Latin digits and staff read the same figures.",
    "plurals": "CLDR has plural rules for all 15; the .po headers use Babel's "
               "(ar six forms; uk, ru and fr three; the others two). gettext's formula "
               "takes whole numbers only: for '1,5 hours' CLDR picks the category and a "
               "whole number of it stands in (pwa.i18n.plural_text). Russian and Ukrainian "
               "decimals are CLDR's 'other', which no whole number has: they take the "
               "'few' form ('1,5 часа').",
    "dates": "CLDR has date formats for all 15; nothing falls back. Days are shown in "
             "the 'long' format everywhere: 'medium' abbreviates month names, and in "
             "Tigrinya its short month names differ from the long ones (ግን / ጉንበት).",
}

# The spoken languages (sync.records.SPOKEN_LANGUAGES) CLDR does not name in a locale,
# checked against Babel by tests/test_locales.py: a Babel upgrade that changes them
# says so there. Each is shown by its own name (language_endonym), else in English.
UNNAMED_LANGUAGES: dict[str, frozenset[str]] = {
    "ps": frozenset({"ae", "cr", "ho", "ik", "kg", "oj", "pi", "sdh", "tl"}),
    "ckb": frozenset({"ae", "cr", "ho", "ik", "kg", "oj", "pi", "prs", "tl"}),
    "ku": frozenset({"ae", "cr", "ho", "ik", "kg", "oj", "sh", "tl", "tw"}),
    "ti": frozenset({"ae", "cr", "ho", "ik", "kg", "oj", "tl"}),
    "am": frozenset({"ho", "oj", "pi"}),
    "so": frozenset({"aa", "ae", "cr", "ho", "ik", "kg", "oj", "pi", "sdh", "tl"}),
}


@lru_cache(maxsize=256)
def language_endonym(key: str) -> str | None:
    """A language's name in itself ("دری" for fa_AF), when CLDR has data for it."""
    try:
        return BabelLocale.parse(key).languages.get(key)
    except (UnknownLocaleError, ValueError):
        return None


_CODES = ["nl", "en", "ar", "fa", "fa_AF", "ps", "ckb", "ku", "ti", "am", "so", "tr", "uk",
          "ru", "fr"]


def _own_name(code: str) -> str:
    if code in _OWN_NAMES:
        return _OWN_NAMES[code]
    name = BabelLocale.parse(code).languages.get(code) or code
    # CLDR writes language names as in running text ("français"); a list starts upper case.
    return name[:1].upper() + name[1:]


LOCALES: dict[str, Locale] = {
    code: Locale(code=code, tag=code.replace("_", "-"), aliases=_ALIASES[code],
                 own_name=_own_name(code),
                 direction=BabelLocale.parse(code).text_direction)
    for code in _CODES
}
CODES: list[str] = list(LOCALES)

_BY_TAG: dict[str, str] = {}
for _locale in LOCALES.values():
    for _tag in (_locale.code, _locale.tag, *_locale.aliases):
        _BY_TAG[_tag.lower().replace("_", "-")] = _locale.code


def get(code: str) -> Locale:
    """The shipped locale ``code`` (KeyError for any other)."""
    return LOCALES[code]


def lookup(tag: str) -> str | None:
    """The shipped locale a language tag means ("fa-AF", "prs", "ar-SY"), or None.

    The tag is tried as a whole, then with its last subtag dropped, and so on:
    "ku-Arab-IQ" is Sorani, "ku-Latn-TR" is Kurmanji, "ar-SY" is Arabic.
    """
    parts = tag.strip().lower().replace("_", "-").split("-")
    while parts and parts[0]:
        code = _BY_TAG.get("-".join(parts))
        if code:
            return code
        parts.pop()
    return None


def _ranges(header: str) -> list[tuple[float, str]]:
    """(q, tag) of each language range in an Accept-Language header, best first."""
    ranges = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag.strip() and 0 < q <= 1:
            ranges.append((-q, position, tag.strip()))
    return [(-q, tag) for q, _, tag in sorted(ranges)]


def negotiate(accept_language: str | None) -> str:
    """The best shipped locale for an Accept-Language header, honouring q-values; else Dutch."""
    for _, tag in _ranges(accept_language or ""):
        code = lookup(tag)
        if code:
            return code
    return DEFAULT
