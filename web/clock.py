"""The one source of time. Rules never read it: services get `now` passed in. Every moment it gives is a whole
second in Beijing time (models.rules.periods.whole_second), CONSOLE_NOW's fraction included, so a period that
starts at a payment and a ticket sent in the same second compare as the same moment; services store `now` as given,
without truncating it again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.rules.periods import BEIJING, whole_second


class Clock:
    """The real clock, in Beijing time (the console's time zone)."""

    pinned = False

    def now(self) -> datetime:
        return whole_second(datetime.now(UTC).astimezone(BEIJING))


@dataclass
class FixedClock(Clock):
    """A clock pinned to one moment: CONSOLE_NOW for demos, and tests."""

    moment: datetime
    pinned = True

    def now(self) -> datetime:
        return whole_second(self.moment.astimezone(BEIJING))

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
