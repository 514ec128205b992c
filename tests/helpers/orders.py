"""A company with one order of each money-moving kind, made through the services (订单管理 and its exports)."""

from __future__ import annotations

from datetime import timedelta

from models.services import changes, payments, purchase, renewal
from models.services.accounts import account_by_login
from tests.helpers.times import START


async def premium_renewed_downgraded(login: str, clock) -> dict[str, str]:
    """LOGIN buys 尊享级 for a month at START, renews it on day 2 and downgrades on day 5 (all by balance);
    returns the order ids by kind. Moves `clock` to START + 5 days."""
    buyer = await account_by_login(login)
    bought = await purchase.place(buyer, "premium", 1, None, clock.now())
    await payments.choose(buyer, bought, "balance", None, clock.now())
    await payments.settle(bought, clock.now(), payer_id=buyer.id)
    clock.moment = START + timedelta(days=2)
    renewed = await renewal.place(await account_by_login(login), 1, None, clock.now())
    await payments.choose(await account_by_login(login), renewed, "balance", None, clock.now())
    await payments.settle(renewed, clock.now(), payer_id=buyer.id)
    clock.moment = START + timedelta(days=5)
    buyer = await account_by_login(login)
    quoted = await changes.quote(buyer, changes.DOWNGRADE, clock.now())
    down = await changes.downgrade(buyer, quoted.quote_id, None, clock.now())
    return {"purchase": bought, "renewal": renewed, "downgrade": down.id}
