"""Languages: choosing the locale, translating core messages, naming codes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import flask_babel
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, request, session
from flask_babel import (
    Babel,
    format_date,
    format_decimal,
    get_locale,
    get_translations,
    gettext,
)
from markupsafe import Markup

from sync import kinds, locales
from sync.messages import N_, N_plural, Plural
from sync.records import INTERFACE_LOCALES, RECORD_TYPES, Field

# Staff read profiles in Dutch; Dutch is also the fallback.
DEFAULT_LOCALE = locales.DEFAULT


def select_locale() -> str:
    """The signed-in user's choice, else this browser's, else Accept-Language, else Dutch."""
    forced = g.get("force_locale")
    if forced:
        return forced
    user = g.get("user")
    if user and user.get("locale") in INTERFACE_LOCALES:
        return user["locale"]
    if session.get("locale") in INTERFACE_LOCALES:
        return session["locale"]
    return locales.negotiate(request.headers.get("Accept-Language"))


class PageReader:
    """Who reads a page, as the field kinds need to know it (sync.kinds.Reader)."""

    def __init__(self, locale: Locale, gettext_: Any):
        self.locale, self._gettext = locale, gettext_
        self.code = str(locale)
        self.labels: dict[tuple, str] = {}  # choice labels the page showed

    def gettext(self, msgid: str) -> str:
        return self._gettext(msgid)

    def place_name(self, location_id: str) -> str | None:
        from pwa.db import get_store

        place = get_store().location(location_id)
        return place["name"] if place else None


def reader() -> PageReader:
    """The page's reader: its language and translations, looked up once per request (a
    list of entries asks for them a few hundred times, and each of Flask-Babel's
    lookups walks its context)."""
    page_reader = g.get("_reader")
    if page_reader is None:
        translations = get_translations()
        page_reader = g._reader = PageReader(get_locale(), translations.ugettext)
        g._translations = translations
    return page_reader


def page_locale() -> Locale:
    """The page's locale (Flask-Babel's ``get_locale``, once per request)."""
    return reader().locale


def text_direction() -> str:
    """``rtl`` or ``ltr`` for the current locale, from CLDR (not a hard-coded list)."""
    return page_locale().text_direction


def html_lang() -> str:
    """The BCP 47 tag of the current locale, for ``lang`` on ``<html>`` ("fa-AF")."""
    return reader().code.replace("_", "-")


# Side by side is a property of the screen two people share, so a cookie on the device.
SIDE_BY_SIDE_COOKIE = "talentkaart_side_by_side"


def side_by_side_requested() -> bool:
    """True when this device asked for Dutch under the labels."""
    return request.cookies.get(SIDE_BY_SIDE_COOKIE) == "on"


def side_by_side() -> bool:
    """True when Dutch is shown under the labels: switched on, and the page is not Dutch."""
    # Once per request: every label of a page asks (the talent card's switch to Dutch
    # comes before it asks).
    shown = g.get("_side_by_side")
    if shown is None:
        shown = g._side_by_side = (side_by_side_requested()
                                   and reader().code != DEFAULT_LOCALE)
    return shown


def _dutch_catalog() -> NullTranslations:
    """The Dutch translations, loaded once per app."""
    catalog = current_app.extensions.get("talentkaart_dutch")
    if catalog is None:
        directory = current_app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")[0]
        catalog = Translations.load(directory, [DEFAULT_LOCALE])
        current_app.extensions["talentkaart_dutch"] = catalog
    return catalog


def dutch(msgid: str | None, **params: Any) -> str:
    """The Dutch text of a message id, whatever the page's language (side by side)."""
    if not msgid:
        return ""
    text = _dutch_catalog().gettext(str(msgid))
    return text % params if params else text


def bdi(text: Any, ltr: bool = False) -> Markup:
    """User text isolated from the sentence around it, so a Latin name in Arabic reads right."""
    if ltr:
        return Markup('<bdi dir="ltr">%s</bdi>') % ("" if text is None else text)
    return Markup("<bdi>%s</bdi>") % ("" if text is None else text)


def dutch_reader() -> PageReader:
    """A Dutch reader, whatever the page's language (side by side, the talent card)."""
    return PageReader(Locale.parse(DEFAULT_LOCALE), dutch)


def dutch_code_label(kind: str, code: str | None) -> str:
    """The Dutch label of a taxonomy code (side by side)."""
    return kinds.kind(f"code:{kind}").show(None, code, dutch_reader()) if code else ""


def dutch_choices(spec: Field, offered: Any = None) -> dict[str, str]:
    """value -> Dutch text of each choice a field offers (side by side)."""
    return {str(code): label for code, label in spec.spec.options(spec, dutch_reader(), offered)}


def options(spec: Field, offered: Any = None) -> list[tuple[str, str]]:
    """(value, label) of each choice a field offers, in the page's language."""
    return spec.spec.options(spec, reader(), offered)


def shown(record_type: str, field_name: str, value: Any) -> str:
    """A stored value of a field as the reader reads it ("" when there is nothing)."""
    spec = RECORD_TYPES[record_type].field(field_name)
    return (spec.spec.display(spec, value, reader()) or "") if spec else ""


def dutch_under(msgid: str | None, **params: Any) -> Markup:
    """``<span class="dutch" lang="nl">`` with the Dutch text, when side by side is on."""
    if not msgid or not side_by_side():
        return Markup("")
    return Markup('<span class="dutch" lang="nl" dir="ltr">%s</span>') % dutch(msgid, **params)


def _shown_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as the reader writes them: dates and numbers in their locale."""
    shown = {}
    for key, value in params.items():
        if isinstance(value, (date, datetime)):
            shown[key] = format_date(value, "long")
        elif isinstance(value, float):
            shown[key] = format_decimal(value)
        else:
            shown[key] = value
    return shown


def translate(message: tuple[str | Plural, dict[str, Any]] | str) -> str:
    """Translate a core message (msgid, params), formatting dates and numbers per locale."""
    if isinstance(message, str):
        return gettext(message)
    msgid, params = message
    if isinstance(msgid, Plural):
        return plural_text(msgid.singular, msgid.plural, params[msgid.number],
                           **_shown_params(params))
    return gettext(msgid, **_shown_params(params))


# Russian and Ukrainian decimals ("1,5") are CLDR's "other", a category no whole
# number has, so gettext has no form for it: they read like 2-4 ("1,5 часа").
_DECIMAL_CATEGORY = {"ru": "few", "uk": "few"}


@lru_cache(maxsize=32)
def _plural_samples(locale_code: str) -> dict[str, int]:
    """CLDR plural category -> the smallest whole number of that category in a locale."""
    locale = Locale.parse(locale_code)
    samples: dict[str, int] = {}
    for n in range(0, 1001):
        samples.setdefault(locale.plural_form(n), n)
    if locale_code in _DECIMAL_CATEGORY:
        samples.setdefault("other", samples[_DECIMAL_CATEGORY[locale_code]])
    return samples


def plural_text(singular: str, plural: str, number: float | int | Decimal,
                **params: Any) -> str:
    """``ngettext`` for any number, 1.5 hours too: CLDR picks the category, gettext the words.

    gettext's plural formula only takes whole numbers, so a sample whole number of
    the same CLDR category stands in for the real one.
    """
    sample = _plural_sample(reader().code, number)
    return _page_translations().ungettext(singular, plural, sample) % params


# Lists of hours say "2 hours" many times, and CLDR's rules take a while to evaluate.
@lru_cache(maxsize=4096)
def _plural_sample(locale_code: str, number: float | int | Decimal) -> int:
    """The whole number of the same CLDR plural category as ``number`` in a locale."""
    category = Locale.parse(locale_code).plural_form(abs(number))
    return _plural_samples(locale_code).get(category, int(number))


def code_label(kind: str, code: str | None) -> str:
    """The label of a taxonomy code in the current language."""
    return kinds.kind(f"code:{kind}").show(None, code, reader()) if code else ""


def language_name(code: str | None) -> str:
    """A language's name in the current locale (``ar`` -> ``Arabisch``)."""
    return kinds.language_name(code, page_locale())


def country_name(code: str | None) -> str:
    """A country's name in the current locale."""
    return page_locale().territories.get(code, code) if code else ""


def choice_label(record_type: str, field_name: str, value: Any) -> str:
    """The translated label of a stored choice value (each looked up once per page: a
    list shows the same few statuses and levels on every entry)."""
    if value is None:
        return ""
    labels = reader().labels
    key = (record_type, field_name, value if isinstance(value, str) else repr(value))
    label = labels.get(key)
    if label is None:
        label = labels[key] = shown(record_type, field_name, value) or str(value)
    return label


def format_day(value: str | date | None) -> str:
    """A stored ISO date in the reader's locale ("3 maart 2026").

    One format for every day a person reads, and the one core messages use too:
    CLDR's medium format abbreviates months ("mrt", Tigrinya "ግን" for "ጉንበት").
    """
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return _long_day(reader().code, day)


# A list of hours shows the same few days and numbers many times: format each once per
# language (babel's formatting is a few dozen microseconds a call).
@lru_cache(maxsize=8192)
def _long_day(locale: str, day: date) -> str:
    return babel_dates.format_date(day, "long", locale=locale)


@lru_cache(maxsize=4096)
def _decimal(locale: str, value: float | int) -> str:
    return babel_numbers.format_decimal(value, locale=locale)


def format_month(value: date) -> str:
    """A month and year in the reader's locale ("maart 2026")."""
    return _month(reader().code, value)


@lru_cache(maxsize=4096)
def _month(locale: str, day: date) -> str:
    return babel_dates.format_date(day, "LLLL y", locale=locale)


def format_month_iso(value: str | None) -> str:
    """A stored "2019-08" month in the reader's locale."""
    return format_month(date.fromisoformat(f"{value}-01")) if value else ""


def format_number(value: float | int | None) -> str:
    """A number the way the reader writes it (1,5 in Dutch, 1.5 in English)."""
    return "" if value is None else _decimal(reader().code, value)


def locale_name(code: str) -> str:
    """A locale's own name in its own script ("العربية", "Nederlands", "دری")."""
    return locales.get(code).own_name


def languages_for_picker() -> list[tuple[str, str]]:
    """(code, own name) for every interface language."""
    return [(code, locale_name(code)) for code in INTERFACE_LOCALES]


def picker_options() -> list[locales.Locale]:
    """Every interface language, with its own name, BCP 47 tag and direction."""
    return [locales.get(code) for code in INTERFACE_LOCALES]


def countries() -> list[tuple[str, str]]:
    """Every country with its name in the current locale, sorted by name."""
    return options(RECORD_TYPES["education"].field("country"))


def languages() -> list[tuple[str, str]]:
    """Languages a person may speak, named in the current locale, sorted by name."""
    return options(RECORD_TYPES["language"].field("language"))


def plural_forms(singular: str, plural: str) -> dict[str, str]:
    """A plural message for JavaScript: its form per CLDR category, placeholders intact.

    ``Intl.PluralRules`` in the browser picks the category; gettext's formula
    picked the form here for a sample number of that category.
    """
    translations = _page_translations()
    return {category: translations.ungettext(singular, plural, n)
            for category, n in _plural_samples(reader().code).items()}


# The texts the small JavaScript modules show (static/js/text.js looks them up by msgid).
JS_TEXTS = (N_("New entry"), N_("Not accepted: %(reason)s"), N_("Will be deleted when sent"),
            N_("Saved on this phone, not yet sent"),
            N_("The server did not accept this change"), N_("There is a problem"),
            N_("Discard this change? It cannot be brought back."), N_("No internet"),
            # The guided start (static/js/guided.js).
            N_("Next"), N_("Back"), N_("Question %(number)s of %(total)s"),
            # Photos and documents (static/js/files.js), voice answers (voice.js).
            N_("Sent"), N_("This recording is empty. Record your answer again."),
            N_("The microphone cannot be used. Allow it for Talentkaart, or type your answer."))
# Plural ones, by the key the modules use (the overview's "%(count)s entries" is its own).
JS_PLURALS = {
    "%(count)s changes not sent yet": N_plural("%(count)s change not sent yet",
                                               "%(count)s changes not sent yet"),
    "%(count)s changes need your attention": N_plural(
        "%(count)s change needs your attention", "%(count)s changes need your attention"),
    "%(count)s entries": N_plural("%(count)s entry", "%(count)s entries"),
}
_JS_STRINGS: dict[str, dict[str, Any]] = {}


def js_strings() -> dict[str, Any]:
    """The texts the small JavaScript modules show, in the reader's language (made once
    per language: every signed-in page carries them)."""
    key = reader().code
    strings = _JS_STRINGS.get(key)
    if strings is None:
        strings = {msgid: gettext(msgid) for msgid in JS_TEXTS}
        strings.update({name: plural_forms(p.singular, p.plural)
                        for name, p in JS_PLURALS.items()})
        _JS_STRINGS[key] = strings
    return strings


def show_page_in(locale: str) -> None:
    """Render the rest of this request in ``locale`` (the talent card, an export: Dutch)."""
    g.force_locale = locale
    g.pop("_translations", None)
    g.pop("_reader", None)
    g.pop("_side_by_side", None)
    flask_babel.refresh()


def _page_translations():
    """The page's catalog, looked up once per request: a page asks for dozens of texts."""
    translations = g.get("_translations")
    if translations is None:
        reader()
        translations = g._translations
    return translations


def init_app(app: Flask) -> None:
    """Wire Flask-Babel and expose helpers to templates."""
    Babel(app, locale_selector=select_locale)
    # The same texts as Flask-Babel's, without its context lookups on every text.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _page_translations().ugettext(s),
        ngettext=lambda s, p, n: _page_translations().ungettext(s, p, n), newstyle=True)
    app.jinja_env.globals.update(
        text_direction=text_direction, html_lang=html_lang, side_by_side=side_by_side,
        bdi=bdi, dutch=dutch, dutch_under=dutch_under, dutch_choices=dutch_choices,
        dutch_code_label=dutch_code_label, picker_options=picker_options,
        translate=translate, plural_text=plural_text, code_label=code_label,
        options=options, shown=shown,
        language_name=language_name, country_name=country_name, choice_label=choice_label,
        languages_for_picker=languages_for_picker, get_locale=page_locale,
        format_day=format_day, format_month=format_month, format_month_iso=format_month_iso,
        format_number=format_number,
        countries=countries, languages=languages, js_strings=js_strings)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
