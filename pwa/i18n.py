"""Languages: choosing the locale, translating core messages, naming codes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel import Locale
from flask import Flask, g, request, session
from flask_babel import Babel, format_date, format_decimal, get_locale, get_translations, gettext

from sync import taxonomy
from sync.records import (
    INTERFACE_LOCALES,
    LANGUAGE_NAME_KEYS,
    RECORD_TYPES,
    SPOKEN_LANGUAGES,
    known_country,
)

# Staff read profiles in Dutch; Dutch is also the fallback.
DEFAULT_LOCALE = "nl"


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
    return request.accept_languages.best_match(INTERFACE_LOCALES) or DEFAULT_LOCALE


def text_direction() -> str:
    """``rtl`` or ``ltr`` for the current locale, from CLDR (not a hard-coded list)."""
    return get_locale().text_direction


def translate(message: tuple[str, dict[str, Any]] | str) -> str:
    """Translate a core message (msgid, params), formatting dates and numbers per locale."""
    if isinstance(message, str):
        return gettext(message)
    msgid, params = message
    shown = {}
    for key, value in params.items():
        if isinstance(value, (date, datetime)):
            shown[key] = format_date(value, "long")
        elif isinstance(value, float):
            shown[key] = format_decimal(value)
        else:
            shown[key] = value
    return gettext(msgid, **shown)


def code_label(kind: str, code: str | None) -> str:
    """The label of a taxonomy code in the current language."""
    if not code:
        return ""
    entry = {"occupation": taxonomy.occupation, "skill": taxonomy.skill,
             "sector": taxonomy.sector}[kind](code)
    return gettext(entry.label) if entry else code


def language_name(code: str | None) -> str:
    """A language's name in the current locale (``ar`` -> ``Arabisch``)."""
    if not code:
        return ""
    key = LANGUAGE_NAME_KEYS.get(code, code)
    return get_locale().languages.get(key) or Locale("en").languages.get(key, code)


def country_name(code: str | None) -> str:
    """A country's name in the current locale."""
    if not code:
        return ""
    return get_locale().territories.get(code, code)


def choice_label(record_type: str, field_name: str, value: Any) -> str:
    """The translated label of a stored choice value."""
    spec = RECORD_TYPES[record_type].field(field_name)
    for code, label in spec.choices if spec else []:
        if code == value:
            return gettext(label)
    return "" if value is None else str(value)


def format_day(value: str | date | None) -> str:
    """A stored ISO date in the reader's locale ("3 maart 2026")."""
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return format_date(day, "medium")


def format_month(value: date) -> str:
    """A month and year in the reader's locale ("maart 2026")."""
    return format_date(value, "LLLL y")


def format_month_iso(value: str | None) -> str:
    """A stored "2019-08" month in the reader's locale."""
    return format_month(date.fromisoformat(f"{value}-01")) if value else ""


def format_number(value: float | int | None) -> str:
    """A number the way the reader writes it (1,5 in Dutch, 1.5 in English)."""
    return "" if value is None else format_decimal(value)


def locale_name(code: str) -> str:
    """A locale's own name in its own script ("العربية", "Nederlands")."""
    return Locale.parse(code).get_display_name(code).capitalize()


def languages_for_picker() -> list[tuple[str, str]]:
    """(code, own name) for every interface language."""
    return [(code, locale_name(code)) for code in INTERFACE_LOCALES]


def countries() -> list[tuple[str, str]]:
    """Every country with its name in the current locale, sorted by name."""
    names = get_locale().territories
    return sorted(((c, n) for c, n in names.items() if known_country(c)),
                  key=lambda pair: pair[1].casefold())


def languages() -> list[tuple[str, str]]:
    """Languages a person may speak, named in the current locale, sorted by name."""
    return sorted(((c, language_name(c)) for c in SPOKEN_LANGUAGES),
                  key=lambda pair: pair[1].casefold())


def plural_forms(singular: str, plural: str) -> dict[str, str]:
    """A plural message for JavaScript: its form per CLDR category, placeholders intact.

    ``Intl.PluralRules`` in the browser picks the category; gettext's formula
    picked the form here for a sample number of that category.
    """
    locale = get_locale()
    translations = get_translations()
    forms: dict[str, str] = {}
    for n in range(0, 1001):
        forms.setdefault(locale.plural_form(n), translations.ungettext(singular, plural, n))
    return forms


def js_strings() -> dict[str, Any]:
    """The texts the small JavaScript modules show, in the reader's language."""
    return {
        "New entry": gettext("New entry"),
        "Not accepted: %(reason)s": gettext("Not accepted: %(reason)s"),
        "Will be deleted when sent": gettext("Will be deleted when sent"),
        "Saved on this phone, not yet sent": gettext("Saved on this phone, not yet sent"),
        "The server did not accept this change": gettext(
            "The server did not accept this change"),
        "Discard this change? It cannot be brought back.": gettext(
            "Discard this change? It cannot be brought back."),
        "%(count)s changes not sent yet": plural_forms(
            "%(count)s change not sent yet", "%(count)s changes not sent yet"),
        "%(count)s changes need your attention": plural_forms(
            "%(count)s change needs your attention", "%(count)s changes need your attention"),
    }


def init_app(app: Flask) -> None:
    """Wire Flask-Babel and expose helpers to templates."""
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals.update(
        text_direction=text_direction, translate=translate, code_label=code_label,
        language_name=language_name, country_name=country_name, choice_label=choice_label,
        languages_for_picker=languages_for_picker, get_locale=get_locale,
        format_day=format_day, format_month=format_month, format_month_iso=format_month_iso,
        format_number=format_number,
        countries=countries, languages=languages, js_strings=js_strings)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
