"""When ticket add-on packs lapse (SPEC.md §6): 23:59:59 on the Beijing month's last day; the last days' warning."""

from __future__ import annotations

from datetime import datetime

from .periods import natural_month, to_beijing

#: The pack page warns in a month's last this many days (Beijing dates).
WARN_DAYS = 3


def lapses_at(now: datetime) -> datetime:
    """The moment packs bought at `now` lapse: the month's last second."""
    return natural_month(now)[1]


def days_left(now: datetime) -> int:
    """Calendar days of the month left at `now`, today included (1 on the last day)."""
    end = to_beijing(lapses_at(now))
    return end.day - to_beijing(now).day + 1


def lapse_warning(now: datetime) -> bool:
    """True in the month's last WARN_DAYS days: packs bought now are usable only until the month's end."""
    return days_left(now) <= WARN_DAYS
