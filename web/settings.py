"""Settings read once from the environment (SPEC.md §10)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from web.clock import Clock, clock_from_env

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'console.sqlite3'}"


@dataclass
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = "dev-only-secret-change-me"
    clock: Clock = field(default_factory=Clock)
    smtp_url: str | None = None
    # Assumptions of SPEC.md kept as settings, not constants.
    order_lapse_days: int = 7
    five_day_quota: int = 10
    login_failures_before_throttle: int = 10
    login_throttle_seconds: int = 30
    session_max_age: int = 8 * 3600
    # The in-process job scheduler of `serve` (web/scheduler.py): on from the environment unless
    # CONSOLE_SCHEDULER=off; off for settings built in code (tests), which run the jobs themselves.
    scheduler: bool = False

    @property
    def secret_bytes(self) -> bytes:
        """A 32-byte key derived from CONSOLE_SECRET_KEY for cookies and signatures."""
        return hashlib.sha256(self.secret_key.encode()).digest()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("CONSOLE_DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=env.get("CONSOLE_SECRET_KEY") or "dev-only-secret-change-me",
            clock=clock_from_env(env.get("CONSOLE_NOW")),
            smtp_url=env.get("CONSOLE_SMTP_URL") or None,
            five_day_quota=int(env.get("CONSOLE_FIVE_DAY_QUOTA", "10")),
            scheduler=env.get("CONSOLE_SCHEDULER", "on").strip().lower() not in ("off", "0", "false", "no"),
        )
