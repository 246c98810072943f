"""Volunteer hours added up per week and per month.

Pure: it gets volunteer records (as the store returns them) and returns
numbers. Coaches and municipalities count verified hours; the person sees all
of them, so both totals are kept side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sync.messages import N_
from sync.records import parse_date


@dataclass(frozen=True)
class Total:
    """Hours in one period: all recorded hours, and those a coach verified."""

    period: str  # "2026-W05" for a week, "2026-03" for a month
    start: date  # the period's first day, for display
    all: float
    verified: float


@dataclass(frozen=True)
class HoursTotals:
    """Totals per ISO week and per month (newest first) and overall."""

    weeks: list[Total]
    months: list[Total]
    all: float
    verified: float


def _data(record: dict) -> dict:
    return record.get("data", record)


def hours_totals(records: list[dict]) -> HoursTotals:
    """Add up volunteer hours per ISO week and per calendar month.

    ``records`` are volunteer records with ``data`` (or bare data dicts);
    deleted records and entries without a valid date are left out. Weeks
    follow ISO 8601, so 2026-01-01 (a Thursday) falls in 2026-W01 and
    2027-01-01 (a Friday) in 2026-W53.
    """
    weeks: dict[str, list] = {}
    months: dict[str, list] = {}
    grand = [0.0, 0.0]
    for record in records:
        if record.get("deleted"):
            continue
        data = _data(record)
        day = parse_date(str(data.get("date") or ""))
        try:
            hours = float(data.get("hours") or 0)
        except (TypeError, ValueError):
            continue
        if day is None or hours <= 0:
            continue
        verified = hours if data.get("status") == "verified" else 0.0
        year, week, _ = day.isocalendar()
        week_key = f"{year}-W{week:02d}"
        month_key = f"{day.year}-{day.month:02d}"
        for buckets, key, start in (
                (weeks, week_key, date.fromisocalendar(year, week, 1)),
                (months, month_key, day.replace(day=1))):
            bucket = buckets.setdefault(key, [start, 0.0, 0.0])
            bucket[1] += hours
            bucket[2] += verified
        grand[0] += hours
        grand[1] += verified

    def listed(buckets: dict[str, list]) -> list[Total]:
        return [Total(key, start, total, checked)
                for key, (start, total, checked) in sorted(buckets.items(), reverse=True)]

    return HoursTotals(listed(weeks), listed(months), grand[0], grand[1])


MAX_PERIOD_DAYS = 366


class PeriodError(Exception):
    """A date range that cannot be used; ``errors`` maps fields to (msgid, params)."""

    def __init__(self, errors: dict[str, tuple[str, dict]]):
        super().__init__(errors)
        self.errors = errors


def check_period(start: str, end: str) -> tuple[date, date]:
    """Two ``YYYY-MM-DD`` strings as a period of at most a year; else ``PeriodError``."""
    errors: dict[str, tuple[str, dict]] = {}
    first, last = parse_date((start or "").strip()), parse_date((end or "").strip())
    example = {"example": "2026-03-31"}
    if first is None:
        errors["from"] = (N_("Enter a real date, like %(example)s"), example)
    if last is None:
        errors["to"] = (N_("Enter a real date, like %(example)s"), example)
    if first and last:
        if last < first:
            errors["to"] = (N_("The end date cannot be before the start date"), {})
        elif (last - first).days >= MAX_PERIOD_DAYS:
            errors["to"] = (N_("Choose a period of at most %(days)s days"),
                            {"days": MAX_PERIOD_DAYS})
    if errors:
        raise PeriodError(errors)
    return first, last
