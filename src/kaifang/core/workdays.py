"""Working days of the Chinese public calendar, for deadlines counted in 工作日 (work orders, replies).

Holidays and adjusted working days (调休) come from `chinese-calendar`, which follows the State Council's yearly
notice. A year the notice has not yet been published for (the package knows the years up to its release) is
counted Monday to Friday, and `calendar_known` says so, so a deadline computed that way can be shown as
provisional rather than passed off as exact.
"""

from __future__ import annotations

import datetime
import functools

import chinese_calendar


def calendar_known(day: datetime.date) -> bool:
    """Whether the official holiday arrangement of `day`'s year is known."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_workday(day: datetime.date) -> bool:
    """A working day: Monday to Friday unless a public holiday, and a weekend day made a working day (调休)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(start: datetime.date, days: int) -> datetime.date:
    """The `days`-th working day after `start` (the day of the request itself is not counted, as in
    「自受理之日起N个工作日内」): the last day a reply is on time."""
    if days < 1:
        raise ValueError("days must be at least 1")
    day, left = start, days
    while left:
        day += datetime.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


@functools.lru_cache(maxsize=128)
def _year_prefix(year: int) -> tuple[int, ...]:
    """prefix[k]: working days among the first k days of `year` (the calendar is fixed for a process)."""
    prefix, day = [0], datetime.date(year, 1, 1)
    while day.year == year:
        prefix.append(prefix[-1] + is_workday(day))
        day += datetime.timedelta(days=1)
    return tuple(prefix)


def workdays_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (0 when `end` is not after `start`): how many of a
    deadline's days have been used, or how far a reply is overdue. Constant time per year spanned, from a
    cached per-year prefix count: a queue page shows fifty deadlines, some a year overdue, and counting those
    day by day through the holiday calendar took a second."""
    if end <= start:
        return 0
    whole_years = sum(_year_prefix(y)[-1] for y in range(start.year, end.year))
    return (
        whole_years
        + _year_prefix(end.year)[end.timetuple().tm_yday]
        - _year_prefix(start.year)[start.timetuple().tm_yday]
    )
