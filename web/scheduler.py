"""The in-process scheduler of `partner-console serve`: runs the due jobs (models.services.jobs.run_due:
auto-renew at 03:00 Beijing, reminders, lapsed orders, e-mail; and the removal of sessions that ended by age) every minute in each worker. The jobs are idempotent and decide between
concurrent runs in the database, so several workers (or machines, or a cron'd `tick`) may run them at once.

Started and stopped by the app's lifespan hooks; CONSOLE_SCHEDULER=off (Settings.scheduler False) disables it.
A failing run is logged and the next one tries again; it never takes the server down."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from litestar import Litestar

from models.services.jobs import run_due
from web.sessions import purge_expired

log = logging.getLogger("console.scheduler")

INTERVAL_SECONDS = 60.0
_TASK_KEY = "scheduler_task"


async def run_once(app: Litestar) -> dict[str, int] | None:
    """One run of the due jobs at the app's clock; exceptions are logged, not raised."""
    settings = app.state.settings
    try:
        done = await run_due(
            settings.clock.now(), order_lapse_days=settings.order_lapse_days, smtp_url=settings.smtp_url
        )
        done["ended_sessions"] = await purge_expired(settings.clock)
    except Exception:
        log.exception("scheduled jobs failed; retrying in %s s", INTERVAL_SECONDS)
        return None
    if any(done.values()):
        log.info("scheduled jobs: %s", ", ".join(f"{name}: {count}" for name, count in done.items()))
    return done


async def _loop(app: Litestar, interval: float) -> None:
    while True:
        await run_once(app)
        await asyncio.sleep(interval)


async def start(app: Litestar) -> None:
    """on_startup: begin the periodic runs (the first one right away) unless the scheduler is off."""
    if not getattr(app.state.settings, "scheduler", False):
        return
    setattr(app.state, _TASK_KEY, asyncio.create_task(_loop(app, INTERVAL_SECONDS), name="console-scheduler"))


async def stop(app: Litestar) -> None:
    """on_shutdown: cancel the loop and wait for it (a run cut off rolls its transaction back)."""
    task = getattr(app.state, _TASK_KEY, None)
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    setattr(app.state, _TASK_KEY, None)
