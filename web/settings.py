"""Settings read once from the environment (SPEC.md §10–§11).

Production is the default: a start needs CONSOLE_SECRET_KEY (32+ characters) and offers online payment only
with a configured gateway. CONSOLE_DEMO=1 (the README's run command, the test harnesses) allows the built-in
development key and the sandbox gateway, and every page says it is a demo."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from web.clock import Clock, clock_from_env

ROOT = Path(__file__).resolve().parent.parent
#: templates/ and static/: an installed wheel has them in the package (setup.py's build step), a checkout at its top.
ASSETS = Path(__file__).resolve().parent if (Path(__file__).resolve().parent / "templates").is_dir() else ROOT
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'console.sqlite3'}"
#: Signs demo sessions only: it is public, so production refuses it (and anything shorter than MIN_KEY_LENGTH).
DEMO_SECRET_KEY = "demo-only-secret-key-never-in-production"
MIN_KEY_LENGTH = 32
GATEWAYS = ("sandbox",)
_TRUE = ("1", "true", "yes", "on")


class SettingsError(ValueError):
    """A setting that keeps the console from starting; its message is the one line the operator sees."""


@dataclass
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = DEMO_SECRET_KEY
    clock: Clock = field(default_factory=Clock)
    smtp_url: str | None = None
    demo: bool = False
    # The online payment provider; None: 在线支付 is not offered. Demo mode implies the sandbox.
    gateway: str | None = None
    # Where partners reach the console; https:// makes cookies Secure and turns HSTS on.
    public_url: str | None = None
    # Addresses of reverse proxies whose X-Forwarded-Proto / X-Forwarded-For are believed (uvicorn's list).
    trusted_proxies: str = ""
    # Assumptions of SPEC.md kept as settings, not constants.
    order_lapse_days: int = 7
    five_day_quota: int = 10
    login_failures_before_throttle: int = 10
    login_throttle_seconds: int = 30
    session_max_age: int = 8 * 3600
    # PostgreSQL connections per worker (CONSOLE_PG_POOL_SIZE, 10 from the environment); keep workers × machines ×
    # this under max_connections. 0 (settings built in code: tests, whose clients run the app on another event
    # loop than the test's queries) opens a connection per query instead.
    pg_pool_size: int = 0
    # The in-process job scheduler of `serve` (web/scheduler.py): on from the environment unless
    # CONSOLE_SCHEDULER=off; off for settings built in code (tests), which run the jobs themselves.
    scheduler: bool = False

    @property
    def secret_bytes(self) -> bytes:
        """A 32-byte key derived from CONSOLE_SECRET_KEY for cookies and signatures."""
        return hashlib.sha256(self.secret_key.encode()).digest()

    @property
    def https(self) -> bool:
        return bool(self.public_url and self.public_url.lower().startswith("https://"))

    def check(self) -> Settings:
        """Refuses what must not run: in production, a missing, short or public key. Returns self."""
        if not self.demo:
            if not self.secret_key:
                raise SettingsError(
                    f"CONSOLE_SECRET_KEY is not set: production needs a secret of {MIN_KEY_LENGTH}+ characters "
                    "(or CONSOLE_DEMO=1 for a demo)"
                )
            if len(self.secret_key) < MIN_KEY_LENGTH or self.secret_key == DEMO_SECRET_KEY:
                raise SettingsError(
                    f"CONSOLE_SECRET_KEY is too weak: production needs a private secret of {MIN_KEY_LENGTH}+ characters"
                )
        if self.gateway is not None and self.gateway not in GATEWAYS:
            raise SettingsError(f"CONSOLE_GATEWAY must be one of {', '.join(GATEWAYS)} (got {self.gateway!r})")
        if self.public_url and not self.public_url.lower().startswith(("http://", "https://")):
            raise SettingsError(f"CONSOLE_PUBLIC_URL must start with http:// or https:// (got {self.public_url!r})")
        return self

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        demo = env.get("CONSOLE_DEMO", "").strip().lower() in _TRUE
        key = env.get("CONSOLE_SECRET_KEY", "")
        try:
            quota = int(env.get("CONSOLE_FIVE_DAY_QUOTA", "10"))
            session_hours = float(env.get("CONSOLE_SESSION_HOURS", "8"))
            pool_size = int(env.get("CONSOLE_PG_POOL_SIZE", "10"))
        except ValueError as exc:
            raise SettingsError(
                f"CONSOLE_FIVE_DAY_QUOTA, CONSOLE_SESSION_HOURS and CONSOLE_PG_POOL_SIZE must be numbers ({exc})"
            ) from None
        try:
            clock = clock_from_env(env.get("CONSOLE_NOW"))
        except ValueError as exc:
            raise SettingsError(f"CONSOLE_NOW: {exc}") from None
        return cls(
            database_url=env.get("CONSOLE_DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=key or (DEMO_SECRET_KEY if demo else ""),
            clock=clock,
            smtp_url=env.get("CONSOLE_SMTP_URL") or None,
            demo=demo,
            gateway=(env.get("CONSOLE_GATEWAY") or "").strip().lower() or ("sandbox" if demo else None),
            public_url=env.get("CONSOLE_PUBLIC_URL") or None,
            trusted_proxies=env.get("CONSOLE_TRUSTED_PROXIES", "").strip(),
            five_day_quota=quota,
            session_max_age=max(60, int(session_hours * 3600)),
            pg_pool_size=max(1, pool_size),
            scheduler=env.get("CONSOLE_SCHEDULER", "on").strip().lower() not in ("off", "0", "false", "no"),
        )
