"""Deadlines in working days follow the public-holiday calendar, adjusted working days (调休) included."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaifang.core.workdays import add_workdays, calendar_known, is_workday, workdays_between

D = datetime.date


def test_national_day_2026_and_its_adjusted_saturday():
    # 2026: 1–7 October off; Saturday 10 October is a working day, Sunday 11 October is not.
    assert not any(is_workday(D(2026, 10, d)) for d in range(1, 8))
    assert is_workday(D(2026, 10, 10)) and not is_workday(D(2026, 10, 11))
    # Five working days from Tuesday 29 September: 30 Sep, 8 Oct, 9 Oct, 10 Oct (Saturday), 12 Oct.
    assert add_workdays(D(2026, 9, 29), 5) == D(2026, 10, 12)


def test_a_deadline_never_falls_on_a_holiday_and_the_request_day_does_not_count():
    # Spring Festival 2026: 15–23 February off, Saturday 14 February a working day (调休).
    assert add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_workdays(D(2026, 2, 14), 1) == D(2026, 2, 24)
    assert add_workdays(D(2026, 12, 7), 1) == D(2026, 12, 8)  # an ordinary Monday → Tuesday


def test_ordinary_weeks():
    assert add_workdays(D(2026, 11, 13), 1) == D(2026, 11, 16)  # Friday → Monday
    assert add_workdays(D(2026, 11, 9), 10) == D(2026, 11, 23)
    assert workdays_between(D(2026, 11, 9), D(2026, 11, 23)) == 10
    assert workdays_between(D(2026, 11, 23), D(2026, 11, 9)) == 0


def test_a_year_without_a_published_notice_counts_weekdays_and_says_so():
    assert calendar_known(D(2026, 6, 1))
    assert not calendar_known(D(2099, 1, 5))
    assert is_workday(D(2099, 1, 5)) and not is_workday(D(2099, 1, 3))  # Monday / Saturday
    assert add_workdays(D(2099, 1, 2), 2) == D(2099, 1, 6)


def test_at_least_one_day():
    with pytest.raises(ValueError):
        add_workdays(D(2026, 1, 5), 0)


@given(st.dates(D(2024, 1, 1), D(2026, 12, 1)), st.integers(1, 40))
def test_the_deadline_is_the_nth_working_day(start, days):
    due = add_workdays(start, days)
    assert is_workday(due)
    assert workdays_between(start, due) == days
    assert workdays_between(start, due - datetime.timedelta(days=1)) == days - 1


@settings(max_examples=300, deadline=None)
@given(st.dates(D(2024, 1, 1), D(2027, 12, 31)), st.dates(D(2024, 1, 1), D(2027, 12, 31)))
def test_the_per_year_count_matches_counting_day_by_day(start, end):
    expected, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        expected += is_workday(day)
    assert workdays_between(start, end) == expected
