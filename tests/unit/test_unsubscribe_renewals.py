"""退订续费周期 (SPEC.md §13): a plan with renewal periods not started may unsubscribe just those — full refund of what
they were paid, no fee, no five-day quota used, the current period kept, auto-renew off, one refund order — with the
guarantees of the whole unsubscribe (the amounts shown are refunded, one transaction, a double submit refunds once,
a stale page is a 409). Service and HTTP."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from models.enums import OrderKind, OrderStatus, PeriodStatus
from models.services import orders, reversals, unsubscribe
from models.services.accounts import account_by_login
from models.services.plans import plan_state
from models.tables import Charge, LedgerEntry, Period, Plan, SupportOrder, Unsubscription
from tests.helpers.http import post_form, sign_in
from tests.helpers.plans import BUYER
from tests.helpers.queries import balance
from tests.helpers.times import bj
from tests.helpers.unsubscribe import add_renewal, buy
from tests.unit.test_unsubscribe_web import text_of

PAGE = "/plan/unsubscribe"
BOUGHT_AT = bj(2024, 1, 1, 10, 30)
NOW = bj(2024, 1, 15, 18, 40)
HIDDEN_RE = re.compile(r'<input type="hidden" name="(periods|computed_at|refund_fen|amounts|scope)" value="([^"]*)">')


def hidden(page_text: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN_RE.findall(page_text)}


async def renewed_twice() -> tuple[str, list[str]]:
    """Standard bought at BOUGHT_AT, auto-renew on, renewed twice (both not started at NOW)."""
    bought = await buy(BUYER, BOUGHT_AT)
    renewals = [
        await add_renewal(BUYER, bj(2024, 1, 10, 9)),
        await add_renewal(BUYER, bj(2024, 1, 11, 9), months=3, amount_fen=2_550_000),
    ]
    await Plan.update({Plan.auto_renew: True, Plan.auto_renew_months: 1}).where(Plan.id > 0)
    return bought, renewals


async def submit(quote: unsubscribe.UnsubscribeQuote, now=NOW):
    return await unsubscribe.submit(
        await account_by_login(BUYER),
        reason="wrong_spec",
        comment="",
        confirmed=True,
        period_key=quote.period_key,
        computed_at=quote.computed_at,
        shown=quote.shown,
        now=now,
        quota=10,
        renewals_only=True,
    )


async def test_only_the_renewals_not_started_are_refunded_in_full(demo):
    bought, renewals = await renewed_twice()
    account = await account_by_login(BUYER)
    whole = await unsubscribe.quote(account, NOW, 10)
    assert whole.renewals_to_come and not whole.renewals_only
    quote = await unsubscribe.quote(account, NOW, 10, renewals_only=True)
    assert [line.order_id for line in quote.lines] == renewals and not quote.five_day
    for line in quote.lines:
        assert line.row.fee == line.row.consumed == 0 and line.row.refund == line.row.paid
    paid = sum(c["amount_fen"] for c in await Charge.select().where(Charge.order_id.is_in(renewals)))
    assert quote.shown.refund_fen == paid == 3_400_000
    before = await balance(BUYER)
    outcome = await submit(quote)
    assert await balance(BUYER) - before == paid
    row = await Unsubscription.select().where(Unsubscription.id == outcome.unsubscription_id).first()
    assert row["renewals_only"] and not row["five_day"] and row["refund_fen"] == paid and row["reason"] == "wrong_spec"
    assert await unsubscribe.five_day_used(account.id, NOW) == 0  # no five-day quota used
    refund = await orders.get(row["order_id"])
    assert refund.kind == OrderKind.UNSUBSCRIBE_RENEWALS and refund.status == OrderStatus.REFUND_DONE
    assert refund.due_fen == paid and refund.refund_reason == "wrong_spec"
    credited = await LedgerEntry.select().where(LedgerEntry.order_id == refund.id)
    assert sum(e["amount_fen"] for e in credited) == paid
    assert {r.reversed_order for r in await reversals.reversed_by_refund(refund.id)} == set(renewals)
    # the current period is kept, auto-renew is off, the renewals are refunded and their orders 已退订
    state = await plan_state(account.partner, NOW)
    assert state.level == "standard" and state.current.order == bought and state.upcoming == []
    assert (await Plan.select(Plan.auto_renew).first())["auto_renew"] is False
    statuses = {p["order"]: p["status"] for p in await Period.select(Period.order, Period.status)}
    assert statuses == {bought: PeriodStatus.ACTIVE, renewals[0]: "refunded", renewals[1]: "refunded"}
    assert (await orders.get(bought)).status == OrderStatus.PAID
    assert {(await orders.get(r)).status for r in renewals} == {OrderStatus.REFUNDED}
    # the same form again refunds nothing
    again = await submit(quote)
    assert again.replayed and again.unsubscription_id == outcome.unsubscription_id
    assert await balance(BUYER) - before == paid and await Unsubscription.count() == 1
    # and then the whole plan can still be unsubscribed
    rest = await unsubscribe.quote(account, NOW, 10)
    assert [line.order_id for line in rest.lines] == [bought] and not rest.renewals_to_come


async def test_no_renewal_to_come_is_refused(demo):
    await buy(BUYER, BOUGHT_AT)
    account = await account_by_login(BUYER)
    assert not (await unsubscribe.quote(account, NOW, 10)).renewals_to_come
    with pytest.raises(unsubscribe.Conflict):
        await unsubscribe.quote(account, NOW, 10, renewals_only=True)


async def test_a_page_for_the_whole_plan_is_not_refunded_as_renewals_only(demo):
    await renewed_twice()
    account = await account_by_login(BUYER)
    whole = await unsubscribe.quote(account, NOW, 10)
    with pytest.raises(unsubscribe.QuoteStale):
        await submit(whole)
    assert await Unsubscription.count() == 0


async def test_the_page_offers_the_choice_and_refunds_what_it_shows(client, demo, clock):
    bought, _renewals = await renewed_twice()
    clock.moment = NOW
    await sign_in(client, BUYER)
    page = await client.get(PAGE)
    assert ">仅退订未生效的续费周期</label>" in page.text and ">退订全部</label>" in page.text
    assert 'name="scope" value="all" checked' in page.text
    chosen = await client.get(f"{PAGE}?scope=renewals")
    assert chosen.status_code == 200 and 'name="scope" value="renewals" checked' in chosen.text
    words = text_of(chosen.text)
    assert "仅退订未生效的续费周期" in words and "退订明细（仅未生效的续费周期）" in words and bought not in chosen.text
    fields = hidden(chosen.text)
    assert fields["scope"] == "renewals" and fields["refund_fen"] == "3400000"
    missing = await post_form(client, PAGE, {**fields, "reason": "wrong_spec"}, token_from=PAGE)
    assert missing.status_code == 400 and 'class="error-summary"' in missing.text
    assert 'name="scope" value="renewals"' in missing.text  # the choice kept with the error
    before = await balance(BUYER)
    done = await post_form(client, PAGE, {**fields, "reason": "wrong_spec", "confirm": "yes"}, token_from=PAGE)
    assert done.status_code == 303
    result = await client.get(done.headers["location"])
    assert "未生效的续费周期已退订，当前周期保留，自动续费已关闭。" in text_of(result.text)
    refund = (await SupportOrder.select().where(SupportOrder.kind == "unsub_renewals").first())["id"]
    assert f'href="/orders/{refund}"' in result.text and await balance(BUYER) - before == 3_400_000
    twice = await post_form(client, PAGE, {**fields, "reason": "wrong_spec", "confirm": "yes"}, token_from=PAGE)
    assert twice.status_code == 409 and "续费周期已退订" in twice.text
    assert await balance(BUYER) - before == 3_400_000
    listing = (await client.get("/orders?kind=unsub_renewals")).text
    assert refund in listing and "退款 ¥34,000.00" in listing and "已退款" in listing


async def test_a_stale_renewals_page_is_a_409_with_the_fresh_amounts(client, demo, clock):
    await renewed_twice()
    clock.moment = NOW
    await sign_in(client, BUYER)
    fields = hidden((await client.get(f"{PAGE}?scope=renewals")).text)
    await add_renewal(BUYER, NOW)  # another tab renewed once more: the amounts change
    stale = await post_form(client, PAGE, {**fields, "reason": "wrong_spec", "confirm": "yes"}, token_from=PAGE)
    assert stale.status_code == 409 and "退订金额已重新计算" in stale.text
    assert hidden(stale.text)["refund_fen"] == str(3_400_000 + 850_000)
    assert await Unsubscription.count() == 0
    clock.moment = NOW + timedelta(days=20)  # the first renewal has started: it is no longer "to come"
    await sign_in(client, BUYER)
    later = await client.get(f"{PAGE}?scope=renewals")
    assert later.status_code == 200 and hidden(later.text)["scope"] == "renewals"
    assert hidden(later.text)["refund_fen"] == str(2_550_000 + 850_000)  # the two renewals still to come


async def test_without_renewals_to_come_the_page_offers_no_choice(client, demo, clock):
    await buy(BUYER, BOUGHT_AT)
    clock.moment = NOW
    await sign_in(client, BUYER)
    page = await client.get(PAGE)
    assert page.status_code == 200 and "仅退订未生效的续费周期" not in page.text
    asked = await client.get(f"{PAGE}?scope=renewals")  # a link kept from before: the whole plan's page, and why
    assert asked.status_code == 200 and hidden(asked.text)["scope"] == "all"
    assert "该支持计划没有未生效的续费周期，无法仅退订续费周期。" in asked.text
