"""Translatable message ids for the Flask-free core.

The core never translates: it returns message ids (English source text) with
named parameters, and the web layer runs them through gettext in the user's
language. ``N_`` only marks a string for extraction by pybabel; ``N_plural``
marks a message about a number, which the web layer looks up with ngettext.
"""

from __future__ import annotations

from typing import NamedTuple


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here."""
    return message


class Plural(NamedTuple):
    """A message whose words depend on a number: the parameter ``number`` names it."""

    singular: str
    plural: str
    number: str = "count"


def N_plural(singular: str, plural: str, number: str = "count") -> Plural:
    """Mark a plural message for translation; ``number`` is the parameter it counts."""
    return Plural(singular, plural, number)


def too_long(maximum: int, count: int) -> tuple[Plural, dict[str, int]]:
    """The message for a text longer than ``maximum`` characters (now ``count``)."""
    return (N_plural("Use at most %(max)s character (now %(count)s)",
                     "Use at most %(max)s characters (now %(count)s)", "max"),
            {"max": maximum, "count": count})


def in_english(message: tuple[str | Plural, dict]) -> str:
    """A core message in its English source text, for the command line."""
    msgid, params = message
    if isinstance(msgid, Plural):
        msgid = msgid.singular if params.get(msgid.number) == 1 else msgid.plural
    return msgid % params if params else msgid
