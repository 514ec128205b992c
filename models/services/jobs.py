"""Due jobs, run by `partner-console tick` and by the server's scheduler: each is safe to run twice
and from several workers at once (conditional updates and unique keys decide who does the work)."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.db import write_transaction
from models.enums import OrderStatus
from models.services import auto_renew, notifications, orders, reminders
from models.tables import SupportOrder


async def _lapse_of(partner_id: int, now: datetime, days: int) -> int:
    """orders.lapse for one company's orders (the demo's 立即执行定时任务 moves no other company's)."""
    async with write_transaction():
        lapsed = await orders.transition_where(
            (SupportOrder.created_at < now - timedelta(days=days)) & (SupportOrder.partner == partner_id),
            OrderStatus.PENDING,
            OrderStatus.CANCELLED,
            now,
        )
    return len(lapsed)


async def run_due(
    now: datetime, *, order_lapse_days: int = 7, smtp_url: str | None = None, partner_id: int | None = None
) -> dict[str, int]:
    """Returns what each job did, for the log and the CLI. `partner_id`: one company's jobs only, at its own `now`
    (demo mode's per-browser clock); e-mail delivery is for everyone as always."""
    if partner_id is None:
        done = {"lapsed_orders": await orders.lapse(now, order_lapse_days)}
    else:
        done = {"lapsed_orders": await _lapse_of(partner_id, now, order_lapse_days)}
    done.update(await auto_renew.auto_renew_due(now, partner_id))
    done["reminders_sent"] = await reminders.send_due(now, partner_id)
    done["emails_sent"] = await notifications.deliver_email(smtp_url, now)
    return done
