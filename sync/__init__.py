"""Talentkaart's storage and write path: no Flask in here."""
