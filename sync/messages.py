"""Translatable message ids for the Flask-free core.

The core never translates: it returns message ids (English source text) with
named parameters, and the web layer runs them through gettext in the user's
language. ``N_`` only marks a string for extraction by pybabel.
"""


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here."""
    return message
