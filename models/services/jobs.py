"""Due jobs, run by `partner-console tick` and by the server's scheduler: each is safe to run twice
and from several workers at once (conditional updates and unique keys decide who does the work)."""

from __future__ import annotations

from datetime import datetime

from models.services import auto_renew, notifications, orders


async def run_due(now: datetime, *, order_lapse_days: int = 7, smtp_url: str | None = None) -> dict[str, int]:
    """Returns what each job did, for the log and the CLI."""
    done = {"lapsed_orders": await orders.lapse(now, order_lapse_days)}
    done.update(await auto_renew.auto_renew_due(now))
    done["emails_sent"] = await notifications.deliver_email(smtp_url, now)
    return done
