"""The one source of time. Rules never read it: services get `now` passed in. Every moment it gives is a whole
second in Beijing time (models.rules.periods.whole_second), CONSOLE_NOW's fraction included, so a period that
starts at a payment and a ticket sent in the same second compare as the same moment; services store `now` as given,
without truncating it again.

In demo mode a browser may have its own test clock (/demo/clock, `BrowserClock`): the session stores the moment it
was set to and the server's time when it was set, so it runs on from there with the server's clock (a pinned
CONSOLE_NOW keeps it still, the real clock moves it on). Every request's `now` is then this browser's time
(web.auth.provide_now); the scheduler and the CLI keep the server's clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.rules.periods import BEIJING, whole_second


class Clock:
    """The real clock, in Beijing time (the console's time zone)."""

    pinned = False

    def now(self) -> datetime:
        return whole_second(datetime.now(UTC).astimezone(BEIJING))

    def now_for(self, session: object) -> datetime:
        """The time of the browser whose session this is: its test clock if it has one, else this clock's.
        Callers check demo mode first (web.auth.provide_now): outside it a test clock counts for nothing."""
        test_clock = BrowserClock.of(session)
        return test_clock.now(self.now()) if test_clock else self.now()


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


#: The session field holding a browser's test clock (demo mode only; written by /demo/clock).
TEST_CLOCK_KEY = "test_clock"


@dataclass(frozen=True)
class BrowserClock:
    """A browser's test clock (demo mode): set to `to` when the server's clock read `at`; it runs on from `to` as the
    server's clock runs on from `at`."""

    to: datetime
    at: datetime

    def now(self, server_now: datetime) -> datetime:
        return whole_second((self.to + (server_now - self.at)).astimezone(BEIJING))

    def stored(self) -> dict[str, str]:
        """What the session keeps (JSON)."""
        return {"to": self.to.isoformat(), "at": self.at.isoformat()}

    @classmethod
    def of(cls, session: object) -> BrowserClock | None:
        """The session's test clock (a request's scope["session"], which may be absent or Empty); None without one or
        with an unreadable one (then the server's clock counts)."""
        stored = session.get(TEST_CLOCK_KEY) if isinstance(session, Mapping) else None
        if not isinstance(stored, dict):
            return None
        try:
            to, at = datetime.fromisoformat(stored["to"]), datetime.fromisoformat(stored["at"])
        except (KeyError, TypeError, ValueError):
            return None
        if to.tzinfo is None or at.tzinfo is None:
            return None
        return cls(to, at)
