"""Weekly and monthly totals of volunteer hours."""

from datetime import date

import pytest

from sync.hours import PeriodError, check_period, hours_totals


def rec(day, hours, status="self_reported", deleted=False):
    return {"data": {"date": day, "hours": hours, "status": status}, "deleted": deleted}


def test_no_records_gives_zero_totals():
    totals = hours_totals([])
    assert totals.weeks == [] and totals.months == []
    assert totals.all == 0 and totals.verified == 0


def test_hours_in_the_same_week_add_up():
    totals = hours_totals([rec("2026-03-02", 2), rec("2026-03-04", 1.5, "verified")])
    assert [(w.period, w.all, w.verified) for w in totals.weeks] == [("2026-W10", 3.5, 1.5)]
    assert totals.weeks[0].start == date(2026, 3, 2)


def test_weeks_and_months_are_newest_first():
    totals = hours_totals([rec("2026-01-05", 1), rec("2026-02-10", 2), rec("2026-02-11", 3)])
    assert [m.period for m in totals.months] == ["2026-02", "2026-01"]
    assert [m.all for m in totals.months] == [5, 1]
    assert totals.months[0].start == date(2026, 2, 1)
    assert [w.period for w in totals.weeks] == ["2026-W07", "2026-W02"]


@pytest.mark.parametrize("day, week", [
    ("2026-01-01", "2026-W01"),  # a Thursday: week 1 of 2026
    ("2027-01-01", "2026-W53"),  # a Friday: still the last week of 2026
    ("2024-12-30", "2025-W01"),  # a Monday in December, week 1 of the next year
])
def test_weeks_follow_iso_8601(day, week):
    assert hours_totals([rec(day, 1)]).weeks[0].period == week


def test_a_week_across_two_months_counts_in_both_months():
    totals = hours_totals([rec("2026-03-31", 2), rec("2026-04-01", 1)])
    assert [w.all for w in totals.weeks] == [3]
    assert [(m.period, m.all) for m in totals.months] == [("2026-04", 1), ("2026-03", 2)]


def test_only_verified_hours_count_as_verified():
    totals = hours_totals([rec("2026-03-02", 2, "verified"), rec("2026-03-03", 1, "questioned"),
                           rec("2026-03-04", 4)])
    assert (totals.all, totals.verified) == (7, 2)


@pytest.mark.parametrize("record", [
    rec("2026-03-02", 2, deleted=True),
    rec("2026-02-30", 2),
    rec("", 2),
    rec("2026-03-02", "lots"),
    rec("2026-03-02", 0),
])
def test_deleted_and_broken_entries_are_left_out(record):
    totals = hours_totals([record, rec("2026-03-03", 1)])
    assert totals.all == 1


def test_bare_data_dicts_are_accepted():
    assert hours_totals([{"date": "2026-03-02", "hours": 2.25}]).all == 2.25


@pytest.mark.parametrize("start, end, field", [
    ("", "2026-03-01", "from"),
    ("2026-02-30", "2026-03-01", "from"),
    ("2026-03-01", "01-04-2026", "to"),
    ("2026-03-02", "2026-03-01", "to"),
    ("2024-01-01", "2025-01-01", "to"),  # 367 days, counting both ends
])
def test_bad_periods_are_refused_on_the_right_field(start, end, field):
    with pytest.raises(PeriodError) as failure:
        check_period(start, end)
    assert field in failure.value.errors


def test_a_period_of_one_leap_year_is_accepted():
    assert check_period("2024-01-01", "2024-12-31") == (date(2024, 1, 1), date(2024, 12, 31))


def test_a_single_day_is_a_period():
    assert check_period("2026-03-01", "2026-03-01") == (date(2026, 3, 1), date(2026, 3, 1))
