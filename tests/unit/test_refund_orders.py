"""Refund orders (issue 13, SPEC.md §13): 降级 and 退订 make orders of their own (已退款, the amount refunded, the
reason), linked both ways to the orders whose charges they give back; the ledger rows of the refund name them; every
list shows them as 退款 ¥…; the state machine creates them in their final status."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from models.db import write_transaction
from models.enums import OrderKind, OrderStatus
from models.rules.money import to_fen
from models.rules.periods import TERMS
from models.services import accounts, ledger, orders, reversals, unsubscribe
from models.services.accounts import account_by_login, get_account
from models.tables import Account as AccountTable
from models.tables import LedgerEntry, OrderReversal, SupportOrder, Unsubscription
from tests.helpers.http import sign_in
from tests.helpers.orders import premium_renewed_downgraded
from tests.helpers.times import START, bj
from tests.helpers.unsubscribe import add_renewal, buy
from web.template_globals import money

BUYER = "partner-b-buyer"
_logins = itertools.count()


async def unsubscribe_now(login: str, now: datetime, *, renewals_only: bool = False, quota: int = 10):
    account = await account_by_login(login)
    quote = await unsubscribe.quote(account, now, quota, renewals_only=renewals_only)
    outcome = await unsubscribe.submit(
        account,
        reason="other" if renewals_only else "test_done",
        comment="续费买多了" if renewals_only else "",
        confirmed=True,
        period_key=quote.period_key,
        computed_at=quote.computed_at,
        shown=quote.shown,
        now=now,
        quota=quota,
        renewals_only=renewals_only,
    )
    row = await Unsubscription.select().where(Unsubscription.id == outcome.unsubscription_id).first()
    return quote, row


async def credits_naming(order_id: str) -> int:
    rows = await LedgerEntry.select(LedgerEntry.amount_fen).where(LedgerEntry.order_id == order_id)
    return sum(r["amount_fen"] for r in rows)


async def ledger_matches_balances() -> None:
    """Every account's ledger sums to its balance, and each row's balance_after follows from the one before."""
    for account in await AccountTable.select():
        rows = await LedgerEntry.select().where(LedgerEntry.account == account["id"]).order_by(LedgerEntry.id)
        running = 0
        for row in rows:
            running += row["amount_fen"]
            assert row["balance_after_fen"] == running
        assert running == account["balance_fen"]


# --- the state machine ----------------------------------------------------------------------------------------


def test_a_refund_order_is_created_in_its_final_status():
    assert orders.initial_status(OrderKind.DOWNGRADE) == OrderStatus.REFUND_DONE
    assert orders.initial_status(OrderKind.UNSUBSCRIBE) == OrderStatus.REFUND_DONE
    assert orders.initial_status(OrderKind.UNSUBSCRIBE_RENEWALS) == OrderStatus.REFUND_DONE
    assert orders.initial_status(OrderKind.PURCHASE) == OrderStatus.PENDING
    with pytest.raises(orders.InvalidTransition):
        orders.check_creation(OrderKind.PURCHASE, OrderStatus.REFUND_DONE)
    with pytest.raises(orders.InvalidTransition):
        orders.check_creation(OrderKind.UNSUBSCRIBE, OrderStatus.PENDING)
    for to in OrderStatus:
        with pytest.raises(orders.InvalidTransition):
            orders.check_transition(OrderStatus.REFUND_DONE, to)


async def test_create_order_refuses_a_refund_status_for_a_paid_kind(demo):
    account = await account_by_login(BUYER)
    async with write_transaction():
        with pytest.raises(orders.InvalidTransition):
            await orders.create_order(
                account=account, kind=OrderKind.PURCHASE, now=START, list_fen=1, status=OrderStatus.REFUND_DONE
            )
    assert await SupportOrder.count() == 0


# --- downgrade ------------------------------------------------------------------------------------------------


async def test_a_downgrade_is_a_refund_order_linked_to_what_it_gives_back(demo, clock):
    made = await premium_renewed_downgraded(BUYER, clock)
    down = await orders.get(made["downgrade"])
    assert down.kind == OrderKind.DOWNGRADE and down.status == OrderStatus.REFUND_DONE
    assert down.paid_at is None and down.closed_at == clock.now() and down.due_fen > 0
    assert await credits_naming(down.id) == down.due_fen == await reversals.total_of(down.id)
    links = await reversals.reversed_by_refund(down.id)
    assert {r.reversed_order for r in links} == {made["purchase"], made["renewal"]}
    for other in (made["purchase"], made["renewal"]):  # their periods run on at Standard: still paid
        assert (await orders.get(other)).status == OrderStatus.PAID
        assert [r.refund_order for r in await reversals.refunds_of(other)] == [down.id]
    await ledger_matches_balances()


async def test_a_downgrade_row_and_page_show_a_refund(client, demo, clock):
    made = await premium_renewed_downgraded(BUYER, clock)
    down = await orders.get(made["downgrade"])
    await sign_in(client, BUYER)
    listing = (await client.get("/orders")).text
    row = listing[listing.index(f">{down.id}</a>") :].split("</tr>")[0]
    assert f"退款 {money(down.due_fen)}" in row and "已退款" in row and "已支付" not in row
    page = (await client.get(f"/orders/{down.id}")).text
    assert "退款金额" in page and f"退款 {money(down.due_fen)}" in page and "已退款" in page
    facts = page.split('id="reverses-title"')[0]  # the order's own facts (the links list other orders' statuses)
    assert "应付金额" not in page and "已支付" not in facts and "支付时间" not in facts
    assert "退款对应的订单" in page and f'href="/orders/{made["purchase"]}"' in page
    bought = (await client.get(f"/orders/{made['purchase']}")).text
    assert "退款订单" in bought and f'href="/orders/{down.id}"' in bought


async def test_the_filters_offer_the_refund_kinds_and_status(client, demo, clock):
    made = await premium_renewed_downgraded(BUYER, clock)
    await unsubscribe_now(BUYER, clock.now())
    await sign_in(client, BUYER)
    page = (await client.get("/orders")).text
    for value, name in (("unsubscribe", "退订"), ("unsub_renewals", "退订续费周期"), ("refund_done", "已退款")):
        assert f'<option value="{value}"' in page and f">{name}</option>" in page
    refunds = (await client.get("/orders?status=refund_done")).text
    assert made["downgrade"] in refunds and made["purchase"] not in refunds
    (unsub_order,) = [o for o in await orders.list_for(await account_by_login(BUYER)) if o.kind == "unsubscribe"]
    only_unsub = (await client.get("/orders?kind=unsubscribe")).text
    assert unsub_order.id in only_unsub and made["downgrade"] not in only_unsub
    assert (await orders.get(made["purchase"])).status == OrderStatus.REFUNDED  # 已退订 after the unsubscribe


# --- unsubscribe ------------------------------------------------------------------------------------------------


async def test_an_unsubscribe_makes_one_refund_order(client, demo):
    bought = await buy(BUYER, bj(2024, 1, 1, 10, 30))
    renewed = await add_renewal(BUYER, bj(2024, 1, 10, 9))
    quote, row = await unsubscribe_now(BUYER, bj(2024, 1, 15, 18, 40))
    refund = await orders.get(row["order_id"])
    assert refund.kind == OrderKind.UNSUBSCRIBE and refund.status == OrderStatus.REFUND_DONE
    assert refund.due_fen == row["refund_fen"] == quote.shown.refund_fen == 1_229_248
    assert refund.refund_reason == "test_done" and refund.closed_at == bj(2024, 1, 15, 18, 40)
    assert await credits_naming(refund.id) == refund.due_fen == await reversals.total_of(refund.id)
    links = {r.reversed_order: r.amount_fen for r in await reversals.reversed_by_refund(refund.id)}
    assert links == {bought: 379_248, renewed: 850_000}
    for other in (bought, renewed):
        assert (await orders.get(other)).status == OrderStatus.REFUNDED
    await ledger_matches_balances()
    await sign_in(client, BUYER)
    result = (await client.get(f"/plan/unsubscribe/result/{row['id']}")).text
    assert f'href="/orders/{refund.id}"' in result
    page = (await client.get(f"/orders/{refund.id}")).text
    assert "退订原因" in page and "业务测试完毕退订" in page and "已退款" in page
    assert f"退回 {BUYER} 的余额" in page and "应付金额" not in page
    reversed_page = (await client.get(f"/orders/{bought}")).text
    assert "已退订" in reversed_page and f'href="/orders/{refund.id}"' in reversed_page


async def test_the_orders_export_of_refunds_sums_to_the_ledger(client, demo, clock):
    made = await premium_renewed_downgraded(BUYER, clock)
    await unsubscribe_now(BUYER, clock.now())
    buyer = await account_by_login(BUYER)
    await sign_in(client, BUYER)
    response = await client.get("/orders/export.csv?status=refund_done")
    _header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and all(Decimal(r[3]) < 0 and r[4] == "已退款" for r in rows)
    ids = {r[0] for r in rows}
    assert made["downgrade"] in ids
    credited = sum(e.amount_fen for e in await ledger.entries(buyer.id, 1000) if e.order_id in ids)
    assert sum(Decimal(r[3]) for r in rows) == -Decimal(credited) / 100


@hsettings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    months=st.sampled_from(TERMS),
    renewals=st.integers(0, 2),
    hours_later=st.integers(0, 8000),
    renewals_only=st.booleans(),
)
async def test_a_refund_order_is_what_the_page_showed_and_the_ledger_says(
    db, months, renewals, hours_later, renewals_only
):
    paid_at = bj(2024, 3, 5, 9, 0)
    login = f"refund-{next(_logins)}"
    account_id = await accounts.create_partner(login, "password-123", "退款测试有限公司", paid_at, certified=True)
    async with write_transaction():
        await ledger.credit(account_id, 10_000_000_000, paid_at, kind="top_up")
    await buy(login, paid_at, months=months)
    for n in range(renewals):
        await add_renewal(login, paid_at + timedelta(hours=1 + n))
    account = await get_account(account_id)
    current_end = (await unsubscribe.quote(account, paid_at, 10)).lines[0].end
    now = paid_at + timedelta(hours=hours_later % max(1, int((current_end - paid_at).total_seconds() // 3600)))
    if renewals_only and renewals == 0:
        with pytest.raises(unsubscribe.Conflict):
            await unsubscribe.quote(account, now, 10, renewals_only=True)
        return
    quote, row = await unsubscribe_now(login, now, renewals_only=renewals_only)
    for line in quote.lines:
        r = line.row
        assert r.refund >= 0 and r.consumed >= 0 and r.fee >= 0
        assert r.refund + r.fee + r.consumed == r.paid or r.refund == 0
        if renewals_only:
            assert line.not_started and r.refund == r.paid
    refund = await orders.get(row["order_id"])
    expected_kind = OrderKind.UNSUBSCRIBE_RENEWALS if renewals_only else OrderKind.UNSUBSCRIBE
    assert refund.kind == expected_kind and refund.status == OrderStatus.REFUND_DONE
    assert refund.due_fen == quote.shown.refund_fen == to_fen(quote.totals.refund) == row["refund_fen"]
    assert await credits_naming(refund.id) == refund.due_fen
    linked = await OrderReversal.select().where(OrderReversal.refund_order == refund.id)
    assert sum(r["amount_fen"] for r in linked) == refund.due_fen and all(r["amount_fen"] >= 0 for r in linked)
    await ledger_matches_balances()
