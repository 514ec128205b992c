"""The unsubscribe tests' purchases (order id returned) and renewal periods written as rows."""

from __future__ import annotations

from datetime import datetime

from models.db import write_transaction
from models.rules.periods import renewal_period
from models.services import ledger, payments, purchase
from models.services.accounts import account_by_login
from models.tables import Charge, Period, Plan, SupportOrder


async def buy(login: str, now: datetime, level: str = "standard", months: int = 1, coupon: int | None = None) -> str:
    """A purchase placed, paid from the balance and fulfilled at `now` (the services of the purchase flow)."""
    account = await account_by_login(login)
    order_id = await purchase.place(account, level, months, None, now)
    await payments.choose(account, order_id, "balance", coupon, now)
    await payments.settle(order_id, now, payer_id=account.id)
    return order_id


async def add_renewal(login: str, now: datetime, months: int = 1, amount_fen: int = 850_000) -> str:
    """A paid renewal period after the last one (the renewal flow is another module's: rows written directly)."""
    account = await account_by_login(login)
    plan = await Plan.select().where(Plan.partner == account.partner).first()
    last = await Period.select().where(Period.plan == plan["id"]).order_by(Period.end, ascending=False).first()
    start, end = renewal_period(last["end"], months)
    order_id = f"CSRENEW{last['id']:05d}"
    async with write_transaction():
        await SupportOrder.insert(
            SupportOrder(
                id=order_id,
                account=account.id,
                partner=account.partner,
                kind="renewal",
                level=last["level"],
                months=months,
                list_fen=amount_fen,
                due_fen=amount_fen,
                status="paid",
                method="balance",
                renews_period_id=last["id"],
                created_at=now,
                paid_at=now,
            )
        )
        await ledger.debit(account.id, amount_fen, now, order_id=order_id)
        period = (
            await Period.insert(
                Period(
                    plan=plan["id"],
                    order=order_id,
                    level=last["level"],
                    months=months,
                    is_renewal=True,
                    start=start,
                    end=end,
                    paid_at=now,
                )
            ).returning(Period.id)
        )[0]
        await Charge.insert(
            Charge(period=period["id"], order_id=order_id, amount_fen=amount_fen, span_start=start, span_end=end)
        )
    return order_id
