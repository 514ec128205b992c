"""Periods, terms and the whole-hour clock used for proration (SPEC.md §3, §4).

Every date rule is evaluated in Beijing time (Asia/Shanghai, UTC+08:00, no DST).
Datetimes must be timezone-aware: a naive datetime is ambiguous and is refused.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")

#: Terms on offer for purchase and renewal, in months: 1-11 months and 1-3 years.
TERMS: tuple[int, ...] = (*tuple(range(1, 13)), 24, 36)
#: Terms that are whole years (a yearly discount, if any, applies to these).
YEAR_TERMS: tuple[int, ...] = (12, 24, 36)
DEFAULT_TERM = 1

ONE_SECOND = timedelta(seconds=1)
ONE_HOUR = timedelta(hours=1)
_DAY_END = time(23, 59, 59)


def is_valid_term(months: object) -> bool:
    """True for a term the console sells (bools are not months)."""
    return isinstance(months, int) and not isinstance(months, bool) and months in TERMS


def require_term(months: int) -> int:
    """Return `months` or raise ValueError: an unknown term must never be priced."""
    if not is_valid_term(months):
        raise ValueError(f"Unsupported term: {months!r} months (allowed: {', '.join(map(str, TERMS))}).")
    return months


def to_beijing(dt: datetime) -> datetime:
    """Convert an aware datetime to Beijing time; refuse naive ones (they are ambiguous)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("A timezone-aware datetime is required (got a naive one).")
    return dt.astimezone(BEIJING)


def add_months(d: date, n: int) -> date:
    """`d` plus `n` calendar months, clamped to the target month's last day (Jan 31 + 1 -> Feb 28/29)."""
    index = d.year * 12 + (d.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(d.day, last))


def end_of_day(d: date) -> datetime:
    """23:59:59 Beijing time on `d`: the way every period ends."""
    return datetime.combine(d, _DAY_END, tzinfo=BEIJING)


def purchase_period(paid_at: datetime, months: int) -> tuple[datetime, datetime]:
    """A new purchase starts when paid and ends 23:59:59 on the date `months` later (guide: 2019/12/11 -> 2020/01/11)."""
    require_term(months)
    start = to_beijing(paid_at)
    return start, end_of_day(add_months(start.date(), months))


def renewal_period(current_end: datetime, months: int) -> tuple[datetime, datetime]:
    """A renewal starts one second after the current end and ends `months` after the current end date."""
    require_term(months)
    end = to_beijing(current_end)
    return end + ONE_SECOND, end_of_day(add_months(end.date(), months))


def natural_month(now: datetime) -> tuple[datetime, datetime]:
    """The Beijing natural month containing `now`: [1st 00:00:00, last day 23:59:59] (ticket quota window)."""
    local = to_beijing(now)
    first = datetime(local.year, local.month, 1, tzinfo=BEIJING)
    last_day = calendar.monthrange(local.year, local.month)[1]
    return first, end_of_day(date(local.year, local.month, last_day))


def whole_second(dt: datetime) -> datetime:
    """The console's one time resolution. Periods end at 23:59:59 and the next starts one second later, month
    windows likewise, so every moment the console hands out (web.clock) is a whole second: a moment like
    23:59:59.5 would belong to no period, and a plan paid at 10:30:00.4 would not have started at 10:30:00."""
    return dt.replace(microsecond=0)


def hour_floor(dt: datetime) -> datetime:
    """Floor to the whole hour in Beijing time: proration counts whole hours only."""
    return to_beijing(dt).replace(minute=0, second=0, microsecond=0)


def effective_end(end: datetime) -> datetime:
    """An end at hh:59:59 counts as the next whole hour (23:59:59 is 'next midnight')."""
    local = to_beijing(end)
    if local.minute == 59 and local.second == 59:
        return local.replace(microsecond=0) + ONE_SECOND
    return local


def hours_between(a: datetime, b: datetime) -> int:
    """Whole hours from `a` (a start or 'now', floored) to `b` (an end, see effective_end), never negative.

    Only `b` gets the :59:59 rule, so pass a period/charge end as `b`; hours already
    used are `hours_between(start, end) - hours_between(now, end)`.
    """
    span = hour_floor(effective_end(b)) - hour_floor(a)
    return max(0, span // ONE_HOUR)
