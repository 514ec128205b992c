"""Changing the level of a running plan (guide chapter 4, SPEC.md §4): services and HTTP."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from models.db import write_transaction
from models.rules.periods import BEIJING, TERMS, purchase_period, renewal_period
from models.rules.pricing import list_price
from models.rules.proration import Charge as ChargeView
from models.rules.proration import PeriodQuote, PeriodView, with_charge
from models.services import changes, coupons, orders, payments, purchase
from models.services.accounts import account_by_login
from models.services.errors import Conflict, DomainError
from models.services.plans import PlanState, plan_state
from models.tables import Charge, LedgerEntry, Period, Quote, SupportOrder
from tests.helpers.http import place_order, post_form, sign_in
from tests.helpers.plans import BUYER
from tests.helpers.queries import balance, latest_code
from tests.helpers.times import bj

CHANGE_AT = datetime(2024, 1, 15, 18, 40, tzinfo=BEIJING)
END = datetime(2024, 2, 1, 23, 59, 59, tzinfo=BEIJING)
START_BALANCE = 10_000_000
QUOTE_ID_RE = re.compile(r'name="quote_id" value="(\d+)"')
KEY_RE = re.compile(r'name="request_key" value="([0-9a-f]+)"')


async def account(login: str = BUYER) -> dict:
    return await account_by_login(login)


async def buy(clock, level="standard", months=1, login=BUYER, coupon_id=None) -> str:
    """A plan bought and paid from the balance at the clock's time (the purchase flow's services)."""
    buyer = await account(login)
    order_id = await purchase.place(buyer, level, months, None, clock.now())
    await payments.choose(buyer, order_id, "balance", coupon_id, clock.now())
    await payments.settle(order_id, clock.now(), payer_id=buyer.id)
    return order_id


async def upgrade(clock, login=BUYER, pay=True) -> str:
    """Quote, confirm and (optionally) pay an upgrade at the clock's time."""
    buyer = await account(login)
    quoted = await changes.quote(buyer, changes.UPGRADE, clock.now())
    order_id = await changes.place_upgrade(buyer, quoted.quote_id, None, clock.now())
    if pay:
        await payments.choose(buyer, order_id, "balance", None, clock.now())
        await payments.settle(order_id, clock.now(), payer_id=buyer.id)
    return order_id


async def add_renewal(months=1, price_fen=850_000) -> dict:
    """A paid renewal period after the current one (as the renewal flow makes it), written directly."""
    current = await Period.select().order_by(Period.start, ascending=False).first()
    start, end = renewal_period(current["end"], months)
    async with write_transaction():
        order_id, _ = await orders.create_order(
            account=await account(),
            kind="purchase",
            now=current["paid_at"],
            list_fen=price_fen,
            level=current["level"],
            months=months,
        )
        await SupportOrder.update({SupportOrder.status: "paid", SupportOrder.kind: "renewal"}).where(
            SupportOrder.id == order_id
        )
        row = (
            await Period.insert(
                Period(
                    plan=current["plan"],
                    order=order_id,
                    level=current["level"],
                    months=months,
                    is_renewal=True,
                    start=start,
                    end=end,
                    paid_at=current["paid_at"],
                )
            ).returning(Period.id)
        )[0]
        await Charge.insert(
            Charge(period=row["id"], order_id=order_id, amount_fen=price_fen, span_start=start, span_end=end)
        )
    return {"id": row["id"], "start": start, "end": end}


async def charges_by_period() -> dict[int, list[tuple[int, datetime, datetime]]]:
    result: dict[int, list] = {}
    for c in await Charge.select().order_by(Charge.id):
        result.setdefault(c["period"], []).append((c["amount_fen"], c["span_start"], c["span_end"]))
    return result


# --- SPEC §4 worked example, through the services ------------------------------------------------------------


async def test_worked_example_upgrade_then_downgrade(demo, clock):
    await buy(clock)
    clock.moment = CHANGE_AT
    buyer = await account()
    preview = await changes.options(buyer, await plan_state(buyer.partner, clock.now()), None, clock.now())
    assert preview.kind == "upgrade" and preview.quote.amount == Decimal("9011.87")
    (line,) = preview.quote.lines
    assert (line.hours_remaining, line.hours_total) == (414, 758)

    order_id = await upgrade(clock)
    order = await orders.get(order_id)
    assert order.kind == "upgrade" and order.status == "paid" and order.due_fen == 901_187
    assert await balance(BUYER) == START_BALANCE - 850_000 - 901_187
    state = await plan_state(buyer.partner, clock.now())
    assert state.level == "premium" and state.valid_until == END  # the end date does not change
    (period_charges,) = (await charges_by_period()).values()
    assert [c[0] for c in period_charges] == [850_000, 901_187]
    assert (period_charges[1][1], period_charges[1][2]) == (CHANGE_AT, END)

    refund = await changes.options(buyer, state, None, clock.now())
    assert refund.kind == "downgrade" and refund.quote.amount == Decimal("9011.87")
    quoted = await changes.quote(buyer, changes.DOWNGRADE, clock.now())
    done = await changes.downgrade(buyer, quoted.quote_id, "dg-1", clock.now())
    assert done.kind == "downgrade" and done.status == "refund_done" and done.due_fen == 901_187
    assert await balance(BUYER) == START_BALANCE - 850_000  # the fee came back, to the fen
    refunds = await LedgerEntry.select().where(LedgerEntry.kind == "refund")
    assert [(r["amount_fen"], r["order_id"]) for r in refunds] == [(901_187, done.id)]
    assert (await plan_state(buyer.partner, clock.now())).level == "standard"
    (period_charges,) = (await charges_by_period()).values()
    assert [c[0] for c in period_charges] == [850_000, 901_187, -901_187]
    assert done.id in [o.id for o in await orders.list_for(buyer)]  # it shows in the order list
    # the same form sent again refunds nothing more
    again = await changes.downgrade(buyer, quoted.quote_id, "dg-1", clock.now())
    assert again.id == done.id and await balance(BUYER) == START_BALANCE - 850_000


# --- rules that must hold, through the services -----------------------------------------------------------------


async def test_change_in_the_first_hour_costs_the_whole_difference(demo, clock):
    await buy(clock)
    clock.advance(minutes=25)  # 10:55, the same hour as the purchase
    order_id = await upgrade(clock)
    assert (await orders.get(order_id)).due_fen == 1_650_000


async def test_change_in_the_last_hour(demo, clock):
    await buy(clock)
    clock.moment = bj(2024, 2, 1, 23, 30)
    order_id = await upgrade(clock)
    assert (await orders.get(order_id)).due_fen == 2_177  # 16,500 x 1/758


async def test_change_across_a_month_end(demo, clock):
    clock.moment = bj(2024, 1, 31, 10, 15)
    await buy(clock)  # ends 2024/02/29 23:59:59, 710 hours
    clock.moment = bj(2024, 2, 1, 0, 30)
    order_id = await upgrade(clock)
    assert (await orders.get(order_id)).due_fen == 1_617_465  # 16,500 x 696/710


async def test_upgrade_with_a_future_renewal_pays_for_every_period(demo, clock):
    await buy(clock)
    renewal = await add_renewal()
    clock.moment = CHANGE_AT
    order_id = await upgrade(clock)
    assert (await orders.get(order_id)).due_fen == 2_551_187  # 9,011.87 + 16,500.00
    periods = await Period.select().order_by(Period.start)
    assert [p["level"] for p in periods] == ["premium", "premium"]
    charges = await charges_by_period()
    assert charges[renewal["id"]][-1] == (1_650_000, renewal["start"], renewal["end"])
    # and downgrading at once gives it all back
    buyer = await account()
    quoted = await changes.quote(buyer, changes.DOWNGRADE, clock.now())
    assert quoted.amount == Decimal("25511.87")
    await changes.downgrade(buyer, quoted.quote_id, None, clock.now())
    assert await balance(BUYER) == START_BALANCE - 850_000  # the renewal was written directly, not debited
    assert [p["level"] for p in await Period.select().order_by(Period.start)] == ["standard", "standard"]


async def test_discount_coupon_on_the_old_period_is_not_carried_over(demo, clock):
    buyer = await account()
    coupon_id = await coupons.grant(buyer.id, clock.now(), rate=Decimal("0.9"))
    await buy(clock, coupon_id=coupon_id)  # paid ¥7,650.00
    clock.moment = CHANGE_AT
    order_id = await upgrade(clock)
    assert (await orders.get(order_id)).due_fen == 947_612  # (25,000 - 7,650) x 414/758


async def test_a_coupon_on_the_upgrade_is_what_its_charges_record(demo, clock):
    await buy(clock)
    clock.moment = CHANGE_AT
    buyer = await account()
    voucher = await coupons.grant(buyer.id, clock.now(), voucher=Decimal("1000"))
    order_id = await upgrade(clock, pay=False)
    await payments.choose(buyer, order_id, "balance", voucher, clock.now())
    await payments.settle(order_id, clock.now(), payer_id=buyer.id)
    (period_charges,) = (await charges_by_period()).values()
    assert [c[0] for c in period_charges] == [850_000, 801_187]  # cash actually paid


async def test_unpaid_upgrade_does_not_change_the_level(demo, clock):
    await buy(clock)
    clock.moment = CHANGE_AT
    order_id = await upgrade(clock, pay=False)
    buyer = await account()
    assert (await orders.get(order_id)).status == "pending"
    assert (await plan_state(buyer.partner, clock.now())).level == "standard"
    assert len((await charges_by_period()).popitem()[1]) == 1
    assert await balance(BUYER) == START_BALANCE - 850_000


async def test_a_second_change_while_one_is_pending_is_refused_until_cancelled(demo, clock):
    await buy(clock)
    clock.moment = CHANGE_AT
    order_id = await upgrade(clock, pay=False)
    buyer = await account()
    with pytest.raises(Conflict) as refused:
        await changes.quote(buyer, changes.UPGRADE, clock.now())
    assert order_id in str(refused.value)
    member_view = await changes.options(
        await account("partner-b-buyer"), await plan_state(buyer.partner, clock.now()), None, clock.now()
    )
    assert member_view.pending.id == order_id and member_view.pending_is_own
    await orders.cancel(buyer, order_id, clock.now())
    assert (await changes.quote(buyer, changes.UPGRADE, clock.now())).amount == Decimal("9011.87")


async def test_who_may_buy_may_change(demo, clock):
    await buy(clock)
    main = await account("partner-b")  # the non-certified main account may not buy, nor change
    with pytest.raises(DomainError) as refused:
        await changes.quote(main, changes.UPGRADE, clock.now())
    assert "主帐号不能直接购买" in refused.value.message


async def test_standard_offers_no_downgrade(demo, clock):
    await buy(clock)
    with pytest.raises(DomainError):
        await changes.quote(await account(), changes.DOWNGRADE, clock.now())


# --- the frozen quote -----------------------------------------------------------------------------------------


async def test_fresh_quote_is_charged_even_after_the_hour_turns(demo, clock):
    await buy(clock)
    clock.moment = bj(2024, 1, 15, 18, 50)
    buyer = await account()
    quoted = await changes.quote(buyer, changes.UPGRADE, clock.now())
    assert quoted.amount == Decimal("9011.87")
    clock.moment = bj(2024, 1, 15, 19, 2)  # 12 minutes later, one hour less remains
    order_id = await changes.place_upgrade(buyer, quoted.quote_id, None, clock.now())
    order = await orders.get(order_id)
    assert order.list_fen == 901_187 and order.quoted_at == bj(2024, 1, 15, 18, 50)
    await payments.choose(buyer, order_id, "balance", None, clock.now())
    await payments.settle(order_id, clock.now(), payer_id=buyer.id)
    (period_charges,) = (await charges_by_period()).values()
    assert period_charges[-1] == (901_187, bj(2024, 1, 15, 19, 2), END)  # the level changes when it is paid


async def test_quote_older_than_15_minutes_is_recomputed(demo, clock):
    await buy(clock)
    clock.moment = CHANGE_AT
    buyer = await account()
    quoted = await changes.quote(buyer, changes.UPGRADE, clock.now())
    clock.moment = bj(2024, 1, 15, 18, 56)  # 16 minutes: recomputed, but the same hour gives the same fee
    same = await changes.place_upgrade(buyer, quoted.quote_id, "same", clock.now())
    assert (await orders.get(same)).list_fen == 901_187
    await orders.cancel(buyer, same, clock.now())
    clock.moment = bj(2024, 1, 15, 19, 10)  # 30 minutes and a new hour: the fee changed, nothing is created
    with pytest.raises(changes.QuoteChanged) as changed:
        await changes.place_upgrade(buyer, quoted.quote_id, "late", clock.now())
    assert (changed.value.old_fen, changed.value.new_fen) == (901_187, 899_011)  # 16,500 x 413/758
    assert "¥9,011.87" in str(changed.value) and "¥8,990.11" in str(changed.value)
    assert await SupportOrder.count().where(SupportOrder.kind == "upgrade") == 1
    again, reason = await changes.requote(buyer, changes.UPGRADE, quoted.quote_id, clock.now())
    assert reason is not None and again.amount_fen == 899_011 and again.quote_id != quoted.quote_id
    order_id = await changes.place_upgrade(buyer, again.quote_id, "late", clock.now())
    assert (await orders.get(order_id)).list_fen == 899_011


async def test_unknown_or_foreign_quote_is_never_trusted(demo, clock):
    await buy(clock)
    clock.moment = CHANGE_AT
    other = await account("partner-a-ops")
    async with write_transaction():
        forged = (
            await Quote.insert(
                Quote(account=other.id, kind="upgrade", level="premium", amount_fen=1, created_at=clock.now())
            ).returning(Quote.id)
        )[0]["id"]
    buyer = await account()
    for quote_id in (None, forged, 999_999):
        with pytest.raises(changes.QuoteChanged):
            await changes.place_upgrade(buyer, quote_id, None, clock.now())
    assert await SupportOrder.count().where(SupportOrder.kind == "upgrade") == 0


async def test_order_left_on_the_payment_page_is_paid_at_its_amount(demo, clock):
    """SPEC.md §13: an order's amount never changes; paid in a later hour it charges what it said."""
    await buy(clock)
    clock.moment = CHANGE_AT
    order_id = await upgrade(clock, pay=False)
    buyer = await account()
    await payments.choose(buyer, order_id, "balance", None, clock.now())
    clock.moment = bj(2024, 1, 15, 19, 30)  # 50 minutes, a new hour: the fee quoted now would be another
    assert changes.compute(await plan_state(buyer.partner, clock.now()), clock.now()).amount_fen == 899_011
    await payments.settle(order_id, clock.now(), payer_id=buyer.id)
    assert (await orders.get(order_id)).status == "paid"
    assert await balance(BUYER) == START_BALANCE - 850_000 - 901_187


async def test_upgrade_order_refused_once_the_plan_is_premium(demo, clock):
    await buy(clock)
    clock.moment = CHANGE_AT
    first = await upgrade(clock, pay=False)
    # a concurrent path made it Premium meanwhile (written directly): the pending order may no longer be paid
    await Period.update({Period.level: "premium"}).where(Period.id > 0)
    buyer = await account()
    with pytest.raises(Conflict):
        await payments.choose(buyer, first, "balance", None, clock.now())


# --- property: what is paid is split over the periods exactly ----------------------------------------------------


def _line(amount: Decimal) -> PeriodQuote:
    t = bj(2024, 1, 1)
    return PeriodQuote(
        start=t,
        end=t,
        months=1,
        hours_total=1,
        hours_remaining=1,
        remaining=Decimal(1),
        new_list_price=amount,
        new_price_share=amount,
        old_unused=Decimal(0),
        raw_amount=amount,
        amount=amount,
        span_start=t,
        span_end=t,
    )


@given(st.lists(st.integers(min_value=0, max_value=10_000_000), min_size=1, max_size=4), st.data())
@hsettings(max_examples=300, deadline=None)
def test_split_of_the_cash_paid_sums_exactly_and_is_never_negative(amounts, data):
    listed = sum(amounts)
    due = data.draw(st.integers(min_value=0, max_value=listed))
    shares = changes._split(due, [_line(Decimal(a) / 100) for a in amounts])
    assert sum(shares) == due and all(s >= 0 for s in shares)
    if due == listed:
        assert shares == amounts


@st.composite
def standard_chains(draw):
    """A Standard purchase with 0-2 renewals, each paid its list price, and a moment while it runs."""
    paid_at = draw(
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(BEIJING))
    ).replace(microsecond=0)
    terms = draw(st.lists(st.sampled_from(TERMS), min_size=1, max_size=3))
    views, start, end = [], *purchase_period(paid_at, terms[0])
    for i, months in enumerate(terms):
        if i:
            start, end = renewal_period(end, months)
        views.append(
            PeriodView(start, end, months, "standard", (ChargeView(list_price("standard", months), start, end),), i > 0)
        )
    now = paid_at + timedelta(
        seconds=draw(st.integers(min_value=0, max_value=int((views[0].end - paid_at).total_seconds())))
    )
    return views, now


def state_of(views: list[PeriodView], now: datetime) -> PlanState:
    rows = [{"id": i, "start": v.start, "end": v.end} for i, v in enumerate(views)]
    current = next(r for r in rows if r["start"] <= now)
    return PlanState(
        partner_id=1,
        plan_id=1,
        level=views[0].level,
        current=current,
        upcoming=[r for r in rows if r is not current],
        history=[],
        views=list(views),
    )


@given(standard_chains(), st.integers(min_value=0, max_value=100))
@hsettings(max_examples=200, deadline=None)
def test_service_upgrade_then_downgrade_gives_back_what_was_paid(chain, off_percent):
    """The service's own steps (quote, split the cash paid over the periods, re-quote the downgrade): the fee and the
    refund are never negative; without a coupon the refund is the fee to the fen (within one rounding step)."""
    views, now = chain
    fee = changes.compute(state_of(views, now), now)
    assert fee.kind == "upgrade" and fee.amount >= 0
    paid_fen = fee.amount_fen * (100 - off_percent) // 100  # what a coupon left to pay
    by_start = {
        line.start: (line, fen) for line, fen in zip(fee.lines, changes._split(paid_fen, fee.lines), strict=False)
    }
    after = [
        with_charge(
            v,
            ChargeView(
                Decimal(by_start[v.start][1]) / 100, by_start[v.start][0].span_start, by_start[v.start][0].span_end
            ),
            "premium",
        )
        for v in views
    ]
    refund = changes.compute(state_of(after, now), now)
    assert refund.kind == "downgrade" and refund.amount >= 0
    if off_percent == 0:
        assert abs(refund.amount - fee.amount) <= Decimal("0.01")
    else:
        assert refund.amount <= fee.amount


# --- HTTP ------------------------------------------------------------------------------------------------------


async def pay_by_balance(client, order_id: str) -> None:
    chosen = await post_form(client, f"/orders/{order_id}/pay", {"method": "balance", "coupon": ""})
    assert chosen.status_code == 303, chosen.text
    await post_form(
        client, f"/orders/{order_id}/verify/send", {"channel": "phone"}, token_from=f"/orders/{order_id}/verify"
    )
    paid = await post_form(
        client,
        f"/orders/{order_id}/verify",
        {"code": await latest_code(BUYER)},
        token_from=f"/orders/{order_id}/verify",
    )
    assert paid.status_code == 303 and paid.headers["location"] == f"/orders/{order_id}/result", paid.text


async def move_clock(client, clock, moment: datetime) -> None:
    """Moves the pinned clock; a sign-in lasts hours, so a jump of days signs in again."""
    clock.moment = moment
    await sign_in(client, BUYER)


async def spec_form(client, kind: str) -> tuple[dict, str]:
    spec = await client.get(f"/plan/change/{kind}/spec")
    assert spec.status_code == 200, spec.text
    fields = {"quote_id": QUOTE_ID_RE.search(spec.text).group(1), "request_key": KEY_RE.search(spec.text).group(1)}
    return fields, spec.text


async def test_worked_example_over_http(client, demo, clock):
    await sign_in(client, BUYER)
    await pay_by_balance(client, await place_order(client))
    await move_clock(client, clock, CHANGE_AT)

    change = await client.get("/plan/change")
    assert change.status_code == 200
    assert "补交的费用" in change.text and "¥9,011.87" in change.text and "414/758" in change.text
    assert "立即变更" in change.text and 'data-confirm-dialog="confirm-dialog"' in change.text
    assert "标准级合作伙伴支持计划请选择“更多 > 退订”操作。" in change.text
    assert "/plan/change/downgrade/spec" not in change.text
    block = await client.get("/plan/change?level=premium", headers={"HX-Request": "true"})
    assert "<html" not in block.text and "¥9,011.87" in block.text and "HX-Request" in block.headers["vary"]

    confirm = await client.get("/plan/change/upgrade/confirm?level=premium")
    assert confirm.status_code == 200 and "购买确认" in confirm.text and "¥9,011.87" in confirm.text
    fields, spec = await spec_form(client, "upgrade")
    assert "我已阅读并同意《合作伙伴支持计划服务协议》" in spec and "确认变更" in spec and "¥9,011.87" in spec

    unticked = await post_form(
        client, "/plan/change/upgrade/spec", {**fields, "level": "premium"}, token_from="/plan/change/upgrade/spec"
    )
    assert unticked.status_code == 400 and 'id="agree-error"' in unticked.text
    assert QUOTE_ID_RE.search(unticked.text).group(1) == fields["quote_id"]  # the same quote still holds

    placed = await post_form(
        client,
        "/plan/change/upgrade/spec",
        {**fields, "level": "premium", "agree": "yes"},
        token_from="/plan/change/upgrade/spec",
    )
    assert placed.status_code == 303 and placed.headers["location"].endswith("/pay")
    order_id = placed.headers["location"].split("/")[2]
    twice = await post_form(
        client,
        "/plan/change/upgrade/spec",
        {**fields, "level": "premium", "agree": "yes"},
        token_from="/plan/change/upgrade/spec",
    )
    assert twice.headers["location"] == placed.headers["location"]  # the same form sent twice: one order
    assert "¥9,011.87" in (await client.get(f"/orders/{order_id}/pay")).text
    await pay_by_balance(client, order_id)
    assert await balance(BUYER) == START_BALANCE - 850_000 - 901_187
    detail = await client.get("/plan")
    assert "尊享级" in detail.text and "2024/02/01 23:59:59" in detail.text

    premium = await client.get("/plan/change")
    assert "退费金额" in premium.text and "¥9,011.87" in premium.text and "/plan/change/downgrade/spec" in premium.text
    fields, spec = await spec_form(client, "downgrade")
    assert "退费金额" in spec and "¥9,011.87" in spec
    done = await post_form(
        client,
        "/plan/change/downgrade/spec",
        {**fields, "level": "standard", "agree": "yes"},
        token_from="/plan/change/downgrade/spec",
    )
    assert done.status_code == 303, done.text
    result = await client.get(done.headers["location"])
    assert "降级成功" in result.text and "¥9,011.87" in result.text
    assert await balance(BUYER) == START_BALANCE - 850_000
    assert "标准级" in (await client.get("/plan")).text
    assert "降级" in (await client.get("/orders")).text


async def test_pending_change_is_refused_with_a_way_to_cancel_it(client, demo, clock):
    await sign_in(client, BUYER)
    await pay_by_balance(client, await place_order(client))
    await move_clock(client, clock, CHANGE_AT)
    fields, _ = await spec_form(client, "upgrade")
    placed = await post_form(
        client,
        "/plan/change/upgrade/spec",
        {**fields, "level": "premium", "agree": "yes"},
        token_from="/plan/change/upgrade/spec",
    )
    order_id = placed.headers["location"].split("/")[2]

    refused = await client.get("/plan/change")
    assert refused.status_code == 409 and order_id in refused.text and "待支付的变更订单" in refused.text
    assert f'action="/orders/{order_id}/cancel"' in refused.text and "立即变更" not in refused.text
    assert (await client.get("/plan/change/upgrade/spec", follow_redirects=False)).status_code == 303
    fresh_key = {**fields, "request_key": "another", "level": "premium", "agree": "yes"}
    second = await post_form(client, "/plan/change/upgrade/spec", fresh_key, token_from="/plan/change")
    assert second.status_code == 409 and "本次升级未执行。" in second.text  # why, not a silent redirect
    assert "待支付的变更订单" in second.text and order_id in second.text
    assert await SupportOrder.count().where(SupportOrder.kind == "upgrade") == 1

    await post_form(client, f"/orders/{order_id}/cancel", {}, token_from="/plan/change")
    assert (await client.get("/plan/change")).status_code == 200


async def test_stale_quote_over_http_shows_the_new_amount_before_anything_is_created(client, demo, clock):
    await sign_in(client, BUYER)
    await pay_by_balance(client, await place_order(client))
    await move_clock(client, clock, CHANGE_AT)
    fields, _ = await spec_form(client, "upgrade")
    clock.moment = bj(2024, 1, 15, 19, 10)
    changed = await post_form(
        client, "/plan/change/upgrade/spec", {**fields, "level": "premium", "agree": "yes"}, token_from="/plan/change"
    )
    assert changed.status_code == 409
    assert "原为 ¥9,011.87，现为 ¥8,990.11" in changed.text and 'id="quote"' in changed.text
    assert await SupportOrder.count().where(SupportOrder.kind == "upgrade") == 0
    new_quote = QUOTE_ID_RE.search(changed.text).group(1)
    assert new_quote != fields["quote_id"]
    placed = await post_form(
        client,
        "/plan/change/upgrade/spec",
        {**fields, "quote_id": new_quote, "level": "premium", "agree": "yes"},
        token_from="/plan/change",
    )
    assert placed.status_code == 303
    order_id = placed.headers["location"].split("/")[2]
    assert (await orders.get(order_id)).list_fen == 899_011


async def test_standard_plan_page_explains_basic_and_refuses_downgrade_steps(client, demo, clock):
    await sign_in(client, BUYER)
    await pay_by_balance(client, await place_order(client))
    assert (await client.get("/plan/change/downgrade/spec", follow_redirects=False)).status_code == 303
    bad = await client.get("/plan/change?level=basic")
    assert bad.status_code == 400 and 'id="level-error"' in bad.text
    page = await client.get("/plan/change")
    assert re.search(
        r'value="standard"[^>]* disabled', page.text
    )  # 标准级 is shown as the current level, not selectable


async def test_main_account_of_a_non_certified_partner_sees_why(client, demo, clock):
    await sign_in(client, BUYER)
    await pay_by_balance(client, await place_order(client))
    await sign_in(client, "partner-b")
    page = await client.get("/plan/change")
    assert page.status_code == 403 and "主帐号不能直接购买" in page.text and "立即变更" not in page.text


async def test_a_downgrade_refund_goes_back_to_the_main_account_that_paid(demo, clock):
    """合作伙伴代付: the main account paid for Premium, so the downgrade's refund is its money."""
    member, main = await account(BUYER), await account("partner-b")
    order_id = await purchase.place(member, "premium", 1, None, clock.now())
    await payments.choose(member, order_id, "partner", None, clock.now())
    await payments.settle(order_id, clock.now(), payer_id=main.id)
    clock.moment = bj(2024, 1, 15, 18, 40)
    quoted = await changes.quote(member, changes.DOWNGRADE, clock.now())
    await changes.downgrade(member, quoted.quote_id, "dg-partner", clock.now())
    assert await balance("partner-b") == 10_000_000 - 2_500_000 + 901_187
    assert await balance(BUYER) == 10_000_000
