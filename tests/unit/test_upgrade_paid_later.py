"""An upgrade order's amount never changes after it is created (SPEC.md §13): paid days later, within its 7-day
life, it charges exactly its amount, split over its periods as at its creation; refused only when the upgrade is no
longer possible."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from models.db import write_transaction
from models.rules.periods import TERMS
from models.rules.refunds import split_fen
from models.services import accounts, changes, ledger, orders, payments, unsubscribe
from models.services.accounts import account_by_login, get_account
from models.services.errors import Conflict
from models.services.plans import plan_state
from models.tables import Charge, UpgradeShare
from tests.helpers.plans import BUYER
from tests.helpers.queries import balance
from tests.helpers.times import bj
from tests.helpers.unsubscribe import add_renewal, buy

BOUGHT_AT = bj(2024, 1, 1, 10, 30)
CHANGE_AT = bj(2024, 1, 15, 18, 40)
_logins = itertools.count()


async def place(login: str, now) -> str:
    account = await account_by_login(login)
    quoted = await changes.quote(account, changes.UPGRADE, now)
    return await changes.place_upgrade(account, quoted.quote_id, None, now)


async def pay(login: str, order_id: str, now) -> None:
    account = await account_by_login(login)
    await payments.choose(account, order_id, "balance", None, now)
    await payments.settle(order_id, now, payer_id=account.id)


async def charges_of(order_id: str) -> list[dict]:
    return await Charge.select().where(Charge.order_id == order_id).order_by(Charge.id)


async def test_paid_three_days_later_charges_the_order_amount(demo):
    await buy(BUYER, BOUGHT_AT)
    await add_renewal(BUYER, BOUGHT_AT + timedelta(hours=1))
    order_id = await place(BUYER, CHANGE_AT)
    order = await orders.get(order_id)
    shares = await UpgradeShare.select().where(UpgradeShare.order_id == order_id).order_by(UpgradeShare.id)
    assert len(shares) == 2 and sum(s["amount_fen"] for s in shares) == order.list_fen
    later = CHANGE_AT + timedelta(days=3)
    state = await plan_state(order.partner, later)
    assert changes.compute(state, later).amount_fen != order.list_fen  # the fee now would be another
    before = await balance(BUYER)
    await pay(BUYER, order_id, later)
    assert before - await balance(BUYER) == order.due_fen
    paid = await charges_of(order_id)
    assert [c["amount_fen"] for c in paid] == [s["amount_fen"] for s in shares]
    assert sum(c["amount_fen"] for c in paid) == order.due_fen
    assert paid[0]["span_start"] == later  # the level changes when it is paid, to the end of the period
    assert (await plan_state(order.partner, later)).level == "premium"


async def test_the_refused_cases_are_the_impossible_ones(demo):
    await buy(BUYER, BOUGHT_AT)
    order_id = await place(BUYER, CHANGE_AT)
    account = await account_by_login(BUYER)
    after_end = bj(2024, 2, 2, 9, 0)  # within the order's 7 days, but the period it was priced for is over
    with pytest.raises(Conflict):
        await changes.upgrade_precheck(await orders.get(order_id), after_end)
    quoted = await unsubscribe.quote(account, CHANGE_AT + timedelta(hours=1), 10)
    await unsubscribe.submit(
        account,
        reason="surplus",
        comment="",
        confirmed=True,
        period_key=quoted.period_key,
        computed_at=quoted.computed_at,
        shown=quoted.shown,
        now=CHANGE_AT + timedelta(hours=1),
        quota=10,
    )
    with pytest.raises(Conflict):  # unsubscribed: no longer Standard
        await changes.upgrade_precheck(await orders.get(order_id), CHANGE_AT + timedelta(hours=2))


async def test_a_renewal_added_after_the_order_makes_it_unpayable(demo):
    await buy(BUYER, BOUGHT_AT)
    order_id = await place(BUYER, CHANGE_AT)
    await add_renewal(BUYER, CHANGE_AT + timedelta(hours=1))
    with pytest.raises(Conflict) as refused:
        await changes.upgrade_precheck(await orders.get(order_id), CHANGE_AT + timedelta(hours=2))
    assert refused.value.message == changes.PERIODS_CHANGED


@hsettings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    months=st.sampled_from(TERMS),
    renewals=st.integers(0, 2),
    hours_in=st.integers(0, 600),
    hours_later=st.integers(0, 7 * 24 - 1),
)
async def test_charges_sum_to_the_order_amount(db, months, renewals, hours_in, hours_later):
    login = f"later-{next(_logins)}"
    account_id = await accounts.create_partner(login, "password-123", "升级测试有限公司", BOUGHT_AT, certified=True)
    async with write_transaction():
        await ledger.credit(account_id, 10_000_000_000, BOUGHT_AT, kind="top_up")
    await buy(login, BOUGHT_AT, months=months)
    for n in range(renewals):
        await add_renewal(login, BOUGHT_AT + timedelta(hours=1 + n))
    account = await get_account(account_id)
    created = BOUGHT_AT + timedelta(hours=2 + hours_in)
    order_id = await place(login, created)
    order = await orders.get(order_id)
    paid_at = created + timedelta(hours=hours_later)
    current = (await plan_state(account.partner, created)).current
    assert current is not None
    current_end = current.end
    if paid_at > current_end:  # the current period is over: refused, nothing charged
        with pytest.raises(Conflict):
            await changes.upgrade_precheck(order, paid_at)
        return
    before = await balance(login)
    await pay(login, order_id, paid_at)
    paid = await charges_of(order_id)
    assert before - await balance(account.login) == order.due_fen == order.list_fen
    assert sum(c["amount_fen"] for c in paid) == order.due_fen
    assert all(c["amount_fen"] >= 0 for c in paid) and len(paid) == 1 + renewals


@given(total=st.integers(0, 10**10), weights=st.lists(st.integers(1, 10**8), min_size=1, max_size=6))
def test_split_fen_sums_exactly_and_is_never_negative(total, weights):
    shares = split_fen(total, weights)
    assert sum(shares) == total and all(s >= 0 for s in shares) and len(shares) == len(weights)
    whole = sum(weights)
    for share, weight in zip(shares, weights, strict=True):
        assert abs(share * whole - total * weight) < whole  # within one fen of the exact proportional share
