"""The one source of time. Rules never read it: services get `now` passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.rules.periods import BEIJING


class Clock:
    """The real clock, in Beijing time (the console's time zone)."""

    pinned = False

    def now(self) -> datetime:
        return datetime.now(UTC).astimezone(BEIJING)


@dataclass
class FixedClock(Clock):
    """A clock pinned to one moment: CONSOLE_NOW for demos, and tests."""

    moment: datetime
    pinned = True

    def now(self) -> datetime:
        return self.moment.astimezone(BEIJING)

    def advance(self, **delta: float) -> None:
        self.moment = self.moment + timedelta(**delta)


def clock_from_env(value: str | None) -> Clock:
    """CONSOLE_NOW is ISO 8601 with an offset; a value without one is refused, not guessed."""
    if not value:
        return Clock()
    example = "2024-01-01T10:30:00+08:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 moment with a UTC offset, e.g. {example} (got {value!r})") from None
    if moment.tzinfo is None:
        raise ValueError(f"a UTC offset is needed, e.g. {example} (got {value!r})")
    return FixedClock(moment)
