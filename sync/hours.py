"""Volunteer hours added up per week and per month.

Pure: it gets volunteer records (as the store returns them) and returns
numbers. Coaches and municipalities count verified hours; the person sees all
of them, so both totals are kept side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sync.kinds import parse_date
from sync.messages import N_, N_plural


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


ALL_TIME = "all"


def tally(data: dict) -> list[tuple[str, float, float]]:
    """What one hours entry adds to its person's totals: (period, hours, verified hours)
    for its calendar month ("2026-03"), its ISO week ("2026-W05") and all time.

    The write path keeps these sums up to date (sync.records: the volunteer record
    type's ``tally``), so a page shows exact totals without reading every entry.
    """
    day = parse_date(str(data.get("date") or ""))
    try:
        hours = float(data.get("hours") or 0)
    except (TypeError, ValueError):
        return []
    if day is None or hours <= 0:
        return []
    verified = hours if data.get("status") == "verified" else 0.0
    year, week, _ = day.isocalendar()
    return [(f"{day.year}-{day.month:02d}", hours, verified),
            (f"{year}-W{week:02d}", hours, verified), (ALL_TIME, hours, verified)]


def totals_from(rows: list[dict]) -> HoursTotals:
    """Totals as the store keeps them (rows of period, hours, verified), newest first."""
    weeks, months, grand = [], [], (0.0, 0.0)
    for row in rows:
        period = row["period"]
        if period == ALL_TIME:
            grand = (row["hours"], row["verified"])
        elif "-W" in period:
            year, week = period.split("-W")
            weeks.append(Total(period, date.fromisocalendar(int(year), int(week), 1),
                               row["hours"], row["verified"]))
        else:
            months.append(Total(period, date.fromisoformat(f"{period}-01"), row["hours"],
                                row["verified"]))
    newest_first = lambda totals: sorted(totals, key=lambda t: t.period, reverse=True)  # noqa: E731
    return HoursTotals(newest_first(weeks), newest_first(months), grand[0], grand[1])


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
            errors["to"] = (N_plural("Choose a period of at most %(days)s day",
                                     "Choose a period of at most %(days)s days", "days"),
                            {"days": MAX_PERIOD_DAYS})
    if errors:
        raise PeriodError(errors)
    return first, last
