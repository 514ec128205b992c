"""The renewal tests' plan: bought and paid at the clock's time (returns the account), or one ending on Jan 31."""

from __future__ import annotations

from models.services import payments, purchase
from models.services.accounts import account_by_login
from models.services.plans import plan_state
from tests.helpers.times import bj


async def buy(clock, login="partner-b-buyer", level="standard", months=1) -> dict:
    """A plan bought and paid from the balance at the clock's time."""
    account = await account_by_login(login)
    order_id = await purchase.place(account, level, months, None, clock.now())
    await payments.settle(order_id, clock.now(), payer_id=account.id)
    return await account_by_login(login)


async def ends_on_jan_31(clock, login="partner-b-buyer") -> dict:
    """A Standard plan bought for 1 month on 2023/12/31: it ends 2024/01/31 23:59:59."""
    clock.moment = bj(2023, 12, 31, 9, 0)
    account = await buy(clock, login)
    state = await plan_state(account.partner, clock.now())
    assert state.valid_until == bj(2024, 1, 31, 23, 59, 59)
    return account
