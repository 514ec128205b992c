"""A plan or ticket packs bought and paid from the balance through the services (HTTP purchases have their own tests)."""

from __future__ import annotations

from datetime import datetime

from models.services import packs, payments, purchase
from models.services.accounts import account_by_login
from tests.helpers.times import START

# The demo's member of a non-certified partner with the same company name: it may buy.
BUYER = "partner-b-buyer"


async def buy_plan(
    login: str = "partner-a-ops", level: str = "standard", months: int = 1, now: datetime = START
) -> dict:
    """A plan bought and paid from the balance through the services (the HTTP purchase has its own tests)."""
    account = await account_by_login(login)
    order_id = await purchase.place(account, level, months, None, now)
    await payments.settle(order_id, now, payer_id=account.id)
    return await account_by_login(login)


async def buy_packs(account: dict, count: int, now: datetime) -> str:
    order_id = await packs.place(account, count, None, now)
    await payments.settle(order_id, now, payer_id=account.id)
    return order_id
