"""When auto-renew tries (SPEC.md §16, the vendor's schedule): the first attempt at 03:00 Beijing time 7 days before
the end (on the end's date minus 7 days), then daily at 03:00 until paid or ended. An attempt whose 03:00 passed
while no job ran (the server was down) is made at the next run that day, never twice a day. Pure: moments in, out."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from models.rules.periods import BEIJING, to_beijing

ATTEMPT_TIME = time(3, 0)
DAYS_BEFORE = 7
#: The reminder before an auto-renew charge comes this long before the attempt (15:00 the day before).
CHARGE_NOTICE = timedelta(hours=12)


def at_three(day: date) -> datetime:
    return datetime.combine(day, ATTEMPT_TIME, tzinfo=BEIJING)


def first_attempt(end: datetime) -> datetime:
    """03:00 Beijing on the day 7 days before the end's date."""
    return at_three(to_beijing(end).date() - timedelta(days=DAYS_BEFORE))


def attempts(end: datetime) -> list[datetime]:
    """Every attempt for a chain ending at `end`: daily 03:00 from the first while before the end."""
    moments, moment = [], first_attempt(end)
    while moment < end:
        moments.append(moment)
        moment = at_three(moment.date() + timedelta(days=1))
    return moments


def due_attempt(end: datetime, now: datetime) -> datetime | None:
    """The attempt a run at `now` makes: today's 03:00 once it has passed, if it is one of the chain's attempts and
    the chain has not ended; None otherwise."""
    if now > end:
        return None
    today = at_three(to_beijing(now).date())
    if now < today or today < first_attempt(end) or today >= end:
        return None
    return today


def next_attempt(end: datetime, now: datetime) -> datetime | None:
    """The first attempt after `now`, or None when none is left before the end."""
    candidate = max(first_attempt(end), at_three(to_beijing(now).date()))
    if candidate <= now:
        candidate = at_three(to_beijing(now).date() + timedelta(days=1))
    return candidate if candidate < end else None
