"""Moments in Beijing time, the console's time zone."""

from __future__ import annotations

from datetime import datetime

from models.rules.periods import BEIJING

# The unit tests' pinned clock starts here (the `clock` fixture).
START = datetime(2024, 1, 1, 10, 30, tzinfo=BEIJING)


def bj(*args: int) -> datetime:
    """bj(2024, 1, 31, 23, 59, 59): a datetime in Beijing time."""
    return datetime(*args, tzinfo=BEIJING)
