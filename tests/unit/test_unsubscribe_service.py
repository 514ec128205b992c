"""退订 through the service (SPEC.md §5): the worked examples, fee steps, five-day rule, renewals, refusals."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from models.db import write_transaction
from models.rules.money import to_fen
from models.rules.periods import TERMS
from models.services import accounts, coupons, ledger, payments, purchase, unsubscribe
from models.services.accounts import account_by_login, get_account
from models.services.plans import plan_state
from models.tables import (
    Charge,
    Coupon,
    LedgerEntry,
    Outbox,
    Period,
    Plan,
    SupportOrder,
    Unsubscription,
)
from tests.helpers.plans import BUYER
from tests.helpers.queries import balance
from tests.helpers.times import bj
from tests.helpers.unsubscribe import add_renewal, buy

D = Decimal


async def top_up(login: str, fen: int, now: datetime) -> None:
    account = await account_by_login(login)
    async with write_transaction():
        await ledger.credit(account.id, fen, now, kind="top_up")


async def add_upgrade_charge(login: str, now: datetime, amount_fen: int) -> str:
    """A paid upgrade order with its charge on the current period (the upgrade flow is another module's)."""
    account = await account_by_login(login)
    state = await plan_state(account.partner, now)
    order_id = "CSUPGRADE0001"
    async with write_transaction():
        await SupportOrder.insert(
            SupportOrder(
                id=order_id,
                account=account.id,
                partner=account.partner,
                kind="upgrade",
                level="premium",
                list_fen=amount_fen,
                due_fen=amount_fen,
                status="paid",
                method="balance",
                created_at=now,
                paid_at=now,
            )
        )
        await ledger.debit(account.id, amount_fen, now, order_id=order_id)
        await Period.update({Period.level: "premium"}).where(Period.id == state.current.id)
        await Charge.insert(
            Charge(
                period=state.current.id,
                order_id=order_id,
                amount_fen=amount_fen,
                span_start=now,
                span_end=state.current.end,
            )
        )
    return order_id


async def submit(
    login: str,
    now: datetime,
    quota: int = 10,
    *,
    reason: str = "test_done",
    comment: str = "",
    quote: unsubscribe.UnsubscribeQuote | None = None,
) -> unsubscribe.Outcome:
    account = await account_by_login(login)
    quote = quote or await unsubscribe.quote(account, now, quota)
    return await unsubscribe.submit(
        account,
        reason=reason,
        comment=comment,
        confirmed=True,
        period_key=quote.period_key,
        computed_at=quote.computed_at,
        shown=quote.shown,
        now=now,
        quota=quota,
    )


def amounts(row_or_totals) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return row_or_totals.paid, row_or_totals.consumed, row_or_totals.fee, row_or_totals.refund


# --- SPEC §5 worked examples -------------------------------------------------------------------------------------


async def test_guide_case_same_hour_without_five_day_quota(demo):
    paid_at = bj(2019, 12, 11, 17, 4, 33)
    order_id = await buy(BUYER, paid_at)
    before = await balance(BUYER)
    now = bj(2019, 12, 11, 17, 50)
    account = await account_by_login(BUYER)
    q = await unsubscribe.quote(account, now, quota=0)
    assert not q.five_day and q.not_five_day_because == unsubscribe.NOT_FIVE_DAY_QUOTA
    assert q.remaining_after == 0 and q.year_end == date(2019, 12, 31)
    assert q.computed_at == bj(2019, 12, 11, 17)
    [line] = q.lines
    assert line.order_id == order_id and line.end == bj(2020, 1, 11, 23, 59, 59)
    assert amounts(line.row) == (D("8500.00"), D("0.00"), D("850.00"), D("7650.00"))
    assert amounts(q.totals) == (D("8500.00"), D("0.00"), D("850.00"), D("7650.00"))

    outcome = await submit(BUYER, now, quota=0, reason="other", comment="  改用其他服务商  ")
    assert not outcome.replayed
    assert await balance(BUYER) == before + 765_000
    stored = await Unsubscription.select().where(Unsubscription.id == outcome.unsubscription_id).first()
    assert (stored["paid_fen"], stored["consumed_fen"], stored["fee_fen"], stored["refund_fen"]) == (
        850_000,
        0,
        85_000,
        765_000,
    )
    assert stored["reason"] == "other" and stored["comment"] == "改用其他服务商" and not stored["five_day"]
    order = await SupportOrder.select().where(SupportOrder.id == order_id).first()
    assert order["status"] == "refunded" and order["refund_reason"] == "other"
    assert order["refund_comment"] == "改用其他服务商" and order["closed_at"] == now
    assert (await plan_state(account.partner, now)).level == "basic"
    assert [p["status"] for p in await Period.select(Period.status)] == ["refunded"]
    refund = await LedgerEntry.select().where(LedgerEntry.kind == "refund").first()
    assert (
        refund["amount_fen"] == 765_000 and refund["order_id"] == stored["order_id"] and refund["account"] == account.id
    )
    note = await Outbox.select().where(Outbox.subject == "支持计划已退订").first()
    assert "¥7,650.00" in note["body"] and note["account"] == account.id


async def test_vendor_example(demo):
    await buy(BUYER, bj(2024, 1, 1, 10, 30))
    before = await balance(BUYER)
    now = bj(2024, 1, 15, 18, 40)
    account = await account_by_login(BUYER)
    q = await unsubscribe.quote(account, now, quota=10)
    assert not q.five_day and q.not_five_day_because == unsubscribe.NOT_FIVE_DAY_LATE
    assert q.remaining_after == 10  # nothing used, and this one is not a five-day unsubscribe
    [line] = q.lines
    assert (line.row.hours_used, line.row.hours_total) == (344, 758)
    assert amounts(q.totals) == (D("8500.00"), D("3857.52"), D("850.00"), D("3792.48"))
    await submit(BUYER, now)
    assert await balance(BUYER) == before + 379_248


# --- fee steps of 2- and 3-year terms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "months, later, rate",
    [
        (24, timedelta(days=180), D("0.15")),
        (24, timedelta(days=367), D("0.10")),
        (36, timedelta(days=200), D("0.15")),
        (36, timedelta(days=400), D("0.10")),
        (36, timedelta(days=740), D("0.05")),
    ],
)
async def test_multi_year_fee_steps(demo, months, later, rate):
    paid_at = bj(2024, 1, 1, 10, 30)
    await top_up(BUYER, 100_000_000, paid_at)
    await buy(BUYER, paid_at, months=months)
    account = await account_by_login(BUYER)
    now = paid_at + later
    q = await unsubscribe.quote(account, now, quota=10)
    [line] = q.lines
    paid = D(8500 * months).quantize(D("0.01"))
    assert line.row.rate == rate
    assert line.row.fee == (paid * rate).quantize(D("0.01"))
    assert line.row.paid == line.row.consumed + line.row.fee + line.row.refund
    before = await balance(BUYER)
    await submit(BUYER, now)
    assert await balance(BUYER) == before + to_fen(line.row.refund)


# --- five-day no-reason unsubscribe ----------------------------------------------------------------------------


async def test_five_day_refunds_all_and_gives_the_voucher_back(demo):
    paid_at = bj(2024, 1, 1, 10, 30)
    account = await account_by_login(BUYER)
    voucher = await coupons.grant(account.id, paid_at, voucher=D("1000"))
    start_balance = await balance(BUYER)
    order_id = await buy(BUYER, paid_at, coupon=voucher)
    assert await balance(BUYER) == start_balance - 750_000
    now = paid_at + timedelta(hours=120)  # the 120th hour still counts
    q = await unsubscribe.quote(account, now, quota=10)
    assert q.five_day and q.not_five_day_because is None and q.remaining_after == 9
    assert amounts(q.totals) == (D("7500.00"), D("0.00"), D("0.00"), D("7500.00"))
    outcome = await submit(BUYER, now)
    assert await balance(BUYER) == start_balance
    assert (await Coupon.select().where(Coupon.id == voucher).first())["used_order_id"] is None
    assert (await Unsubscription.select().where(Unsubscription.id == outcome.unsubscription_id).first())["five_day"]
    assert (await SupportOrder.select().where(SupportOrder.id == order_id).first())["status"] == "refunded"
    assert "已退还代金券 1 张" in (await Outbox.select().where(Outbox.subject == "支持计划已退订").first())["body"]
    # The next quote of the year shows one used.
    await buy(BUYER, now)
    assert (await unsubscribe.quote(account, now, quota=10)).remaining_after == 8


async def test_five_day_keeps_a_discount_coupon_used(demo):
    paid_at = bj(2024, 1, 1, 10, 30)
    account = await account_by_login(BUYER)
    discount = await coupons.grant(account.id, paid_at, rate=D("0.9"))
    order_id = await buy(BUYER, paid_at, coupon=discount)
    q = await unsubscribe.quote(account, paid_at + timedelta(hours=3), quota=10)
    assert q.five_day and q.totals.refund == D("7650.00")  # the cash paid, after the discount
    await submit(BUYER, paid_at + timedelta(hours=3))
    assert (await Coupon.select().where(Coupon.id == discount).first())["used_order_id"] == order_id


async def test_a_voucher_is_not_given_back_without_the_five_day_rule(demo):
    paid_at = bj(2024, 1, 1, 10, 30)
    account = await account_by_login(BUYER)
    voucher = await coupons.grant(account.id, paid_at, voucher=D("1000"))
    order_id = await buy(BUYER, paid_at, coupon=voucher)
    now = paid_at + timedelta(hours=121)
    q = await unsubscribe.quote(account, now, quota=10)
    assert not q.five_day and q.totals.paid == D("7500.00") and q.totals.fee == D("750.00")
    await submit(BUYER, now)
    assert (await Coupon.select().where(Coupon.id == voucher).first())["used_order_id"] == order_id


async def test_an_upgraded_period_is_not_a_new_purchase(demo):
    paid_at = bj(2024, 1, 1, 10, 30)
    await buy(BUYER, paid_at)
    now = bj(2024, 1, 2, 10, 30)
    upgrade = await add_upgrade_charge(BUYER, now, 1_000_000)
    account = await account_by_login(BUYER)
    q = await unsubscribe.quote(account, now, quota=10)
    assert not q.five_day and q.not_five_day_because == unsubscribe.NOT_FIVE_DAY_CHANGED
    assert q.level == "premium" and q.totals.paid == D("18500.00")
    assert q.totals.fee == D("1850.00")
    before = await balance(BUYER)
    await submit(BUYER, now)
    assert await balance(BUYER) == before + to_fen(q.totals.refund)
    statuses = {
        o["id"]: o["status"]
        for o in await SupportOrder.select(SupportOrder.id, SupportOrder.status).where(
            SupportOrder.kind != "unsubscribe"
        )
    }
    assert statuses[upgrade] == "refunded" and set(statuses.values()) == {"refunded"}


async def test_five_day_quota_counts_per_beijing_natural_year(demo):
    account = await account_by_login(BUYER)
    first = bj(2024, 12, 29, 9)
    await buy(BUYER, first)
    assert (await unsubscribe.quote(account, first, quota=1)).five_day
    await submit(BUYER, first, quota=1)  # the year's only five-day unsubscribe

    second = bj(2024, 12, 31, 20)
    await buy(BUYER, second)
    late_in_year = await unsubscribe.quote(account, bj(2024, 12, 31, 23, 30), quota=1)
    assert not late_in_year.five_day and late_in_year.not_five_day_because == unsubscribe.NOT_FIVE_DAY_QUOTA
    assert (late_in_year.remaining_after, late_in_year.year_end) == (0, date(2024, 12, 31))
    # 2025-01-01 00:30 in Beijing is still 2024 in UTC: the quota year is Beijing's.
    new_year = bj(2025, 1, 1, 0, 30)
    fresh = await unsubscribe.quote(account, new_year, quota=1)
    assert fresh.five_day and fresh.used_this_year == 0
    assert (fresh.remaining_after, fresh.year_end) == (0, date(2025, 12, 31))
    await submit(BUYER, new_year, quota=1)
    assert await Unsubscription.count().where(Unsubscription.five_day.eq(True)) == 2


# --- renewals -------------------------------------------------------------------------------------------------------


async def test_a_renewal_not_started_is_refunded_whole(demo):
    paid_at = bj(2024, 1, 1, 10, 30)
    await buy(BUYER, paid_at)
    renewal_id = await add_renewal(BUYER, bj(2024, 1, 10, 9))
    now = bj(2024, 1, 15, 18, 40)
    account = await account_by_login(BUYER)
    q = await unsubscribe.quote(account, now, quota=10)
    current, renewal = q.lines
    assert amounts(current.row) == (D("8500.00"), D("3857.52"), D("850.00"), D("3792.48"))
    assert renewal.is_renewal and renewal.not_started and renewal.order_id == renewal_id
    assert amounts(renewal.row) == (D("8500.00"), D("0.00"), D("0.00"), D("8500.00"))
    assert amounts(q.totals) == (D("17000.00"), D("3857.52"), D("850.00"), D("12292.48"))
    before = await balance(BUYER)
    await submit(BUYER, now)
    assert await balance(BUYER) == before + 1_229_248
    refunds = await LedgerEntry.select().where(LedgerEntry.kind == "refund").order_by(LedgerEntry.id)
    (refund_order,) = {r["order_id"] for r in refunds}  # both credits name the unsubscribe's refund order
    assert [r["amount_fen"] for r in refunds] == [379_248, 850_000]
    assert (await SupportOrder.select().where(SupportOrder.id == refund_order).first())["due_fen"] == 1_229_248
    assert {o["status"] for o in await SupportOrder.select(SupportOrder.status)} == {"refunded", "refund_done"}
    assert (await plan_state(account.partner, now)).upcoming == []


async def test_a_running_renewal_is_never_five_day(demo):
    await buy(BUYER, bj(2024, 1, 1, 10, 30))
    await add_renewal(BUYER, bj(2024, 2, 1, 12))
    now = bj(2024, 2, 3, 12)  # the renewal started at 2024/02/02 00:00:00, paid two days ago
    q = await unsubscribe.quote(await account_by_login(BUYER), now, quota=10)
    [line] = q.lines
    assert line.is_renewal and not q.five_day and q.not_five_day_because == unsubscribe.NOT_FIVE_DAY_RENEWAL
    assert line.row.fee == D("850.00") and line.row.consumed > 0


async def test_partner_payment_is_refunded_to_the_main_account(demo):
    paid_at = bj(2024, 1, 1, 10, 30)
    buyer = await account_by_login(BUYER)
    order_id = await purchase.place(buyer, "standard", 1, None, paid_at)
    await payments.choose(buyer, order_id, "partner", None, paid_at)
    main = await account_by_login("partner-b")
    await payments.settle(order_id, paid_at, payer_id=main.id)
    main_before, buyer_before = await balance("partner-b"), await balance(BUYER)
    now = bj(2024, 1, 15, 18, 40)
    outcome = await submit(BUYER, now)
    assert await balance("partner-b") == main_before + 379_248
    assert await balance(BUYER) == buyer_before
    result = await unsubscribe.result(buyer, outcome.unsubscription_id)
    assert result.credits == [("partner-b", 379_248)]
    assert [o.id for o in result.orders] == [order_id]
    assert await Outbox.count().where((Outbox.account == main.id) & (Outbox.subject == "退订退款已到账")) == 1


# --- refusals: nothing changes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reason, comment, confirmed, field",
    [
        ("", "", True, "reason"),
        ("nonsense", "", True, "reason"),
        ("other", "", True, "comment"),
        ("other", "   ", True, "comment"),
        ("other", "长" * 501, True, "comment"),
        ("test_done", "", False, "confirm"),
    ],
)
async def test_bad_input_changes_nothing(demo, reason, comment, confirmed, field):
    await buy(BUYER, bj(2024, 1, 1, 10, 30))
    now = bj(2024, 1, 15, 18, 40)
    account = await account_by_login(BUYER)
    q = await unsubscribe.quote(account, now, 10)
    before = await balance(BUYER)
    with pytest.raises(unsubscribe.DomainError) as raised:
        await unsubscribe.submit(
            account,
            reason=reason,
            comment=comment,
            confirmed=confirmed,
            period_key=q.period_key,
            computed_at=q.computed_at,
            shown=q.shown,
            now=now,
            quota=10,
        )
    assert raised.value.field == field and raised.value.status_code == 400
    assert await balance(BUYER) == before and await Unsubscription.count() == 0
    assert (await plan_state(account.partner, now)).level == "standard"


def test_check_form_reports_every_problem_and_accepts_500_characters():
    assert [p.field for p in unsubscribe.check_form("", "", False)] == ["reason", "confirm"]
    assert unsubscribe.check_form("other", "长" * 500, True) == []
    assert unsubscribe.check_form("other", "x", True) == []
    assert len(unsubscribe.REASONS) == 7


async def test_a_basic_plan_cannot_be_unsubscribed(demo):
    account = await account_by_login(BUYER)
    now = bj(2024, 1, 1, 10, 30)
    with pytest.raises(unsubscribe.AlreadyBasic):
        await unsubscribe.quote(account, now, 10)
    with pytest.raises(unsubscribe.AlreadyBasic) as raised:
        await unsubscribe.submit(
            account,
            reason="test_done",
            comment="",
            confirmed=True,
            period_key="",
            computed_at=now,
            shown=None,
            now=now,
            quota=10,
        )
    assert raised.value.status_code == 409
    # …nor once it has ended (the plan fell back to Basic by itself).
    await buy(BUYER, now)
    with pytest.raises(unsubscribe.AlreadyBasic):
        await unsubscribe.quote(account, bj(2024, 2, 2, 0, 0, 1), 10)


async def test_a_double_submit_refunds_once_and_returns_the_first_result(demo):
    await buy(BUYER, bj(2024, 1, 1, 10, 30))
    now = bj(2024, 1, 15, 18, 40)
    account = await account_by_login(BUYER)
    q = await unsubscribe.quote(account, now, 10)
    before = await balance(BUYER)
    first = await submit(BUYER, now, quote=q)
    second = await submit(BUYER, now + timedelta(minutes=1), quote=q)
    assert second == unsubscribe.Outcome(first.unsubscription_id, replayed=True)
    assert await balance(BUYER) == before + 379_248
    assert await Unsubscription.count() == 1 and await LedgerEntry.count().where(LedgerEntry.kind == "refund") == 1
    # Another company's account cannot replay (or read) it.
    other = await account_by_login("partner-a-ops")
    with pytest.raises(unsubscribe.AlreadyBasic):
        await unsubscribe.submit(
            other,
            reason="test_done",
            comment="",
            confirmed=True,
            period_key=q.period_key,
            computed_at=q.computed_at,
            shown=q.shown,
            now=now,
            quota=10,
        )
    with pytest.raises(unsubscribe.NotFound):
        await unsubscribe.result(other, first.unsubscription_id)


async def test_a_quote_from_an_earlier_hour_is_recomputed_before_refunding(demo):
    await buy(BUYER, bj(2024, 1, 1, 10, 30))
    account = await account_by_login(BUYER)
    seen = await unsubscribe.quote(account, bj(2024, 1, 15, 18, 59), 10)
    now = bj(2024, 1, 15, 19, 0, 5)
    before = await balance(BUYER)
    with pytest.raises(unsubscribe.QuoteStale) as raised:
        await submit(BUYER, now, quote=seen)
    assert raised.value.changed and raised.value.status_code == 409
    assert raised.value.fresh.computed_at == bj(2024, 1, 15, 19)
    assert raised.value.fresh.totals.consumed > seen.totals.consumed
    assert await balance(BUYER) == before and await Unsubscription.count() == 0
    # A tampered or missing time is "not this hour" too.
    for bad in (None, bj(2030, 1, 1)):
        with pytest.raises(unsubscribe.QuoteStale):
            await unsubscribe.submit(
                account,
                reason="test_done",
                comment="",
                confirmed=True,
                period_key=seen.period_key,
                computed_at=bad,
                shown=seen.shown,
                now=now,
                quota=10,
            )
    await submit(BUYER, now, quote=raised.value.fresh)
    assert await balance(BUYER) == before + to_fen(raised.value.fresh.totals.refund)


async def test_a_five_day_quote_from_an_earlier_hour_says_nothing_changed(demo):
    paid_at = bj(2024, 1, 1, 10, 30)
    await buy(BUYER, paid_at)
    account = await account_by_login(BUYER)
    seen = await unsubscribe.quote(account, bj(2024, 1, 2, 8, 59), 10)
    with pytest.raises(unsubscribe.QuoteStale) as raised:
        await submit(BUYER, bj(2024, 1, 2, 9, 1), quote=seen)
    assert not raised.value.changed and "金额未变" in raised.value.message


async def test_a_renewal_paid_meanwhile_makes_the_page_stale(demo):
    await buy(BUYER, bj(2024, 1, 1, 10, 30))
    account = await account_by_login(BUYER)
    now = bj(2024, 1, 15, 18, 40)
    seen = await unsubscribe.quote(account, now, 10)
    await add_renewal(BUYER, now)
    with pytest.raises(unsubscribe.QuoteStale) as raised:
        await submit(BUYER, now, quote=seen)
    assert raised.value.changed and len(raised.value.fresh.lines) == 2


async def test_auto_renew_is_switched_off(demo):
    await buy(BUYER, bj(2024, 1, 1, 10, 30))
    account = await account_by_login(BUYER)
    await Plan.update({Plan.auto_renew: True}).where(Plan.partner == account.partner)
    await submit(BUYER, bj(2024, 1, 15, 18, 40))
    assert not (await Plan.select().where(Plan.partner == account.partner).first())["auto_renew"]


# --- properties ----------------------------------------------------------------------------------------------------

_logins = itertools.count()


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    months=st.sampled_from(TERMS),
    paid_minute=st.integers(0, 59),
    hours_later=st.integers(0, 26_400),
    minute_later=st.integers(0, 59),
    quota=st.integers(0, 2),
    renewal=st.booleans(),
)
async def test_the_preview_is_the_refund_made(db, months, paid_minute, hours_later, minute_later, quota, renewal):
    paid_at = bj(2024, 3, 5, 9, paid_minute)
    login = f"prop-{next(_logins)}"
    account_id = await accounts.create_partner(login, "password-123", "性质测试有限公司", paid_at, certified=True)
    await top_up(login, 1_000_000_000, paid_at)
    await buy(login, paid_at, months=months)
    if renewal:
        await add_renewal(login, paid_at + timedelta(hours=1), months=1)
    account = await get_account(account_id)
    plan_end = (await plan_state(account.partner, paid_at)).valid_until
    plan_hours = int((plan_end - paid_at).total_seconds()) // 3600
    now = paid_at + timedelta(hours=hours_later % plan_hours, minutes=minute_later)  # always within the plan
    preview = await unsubscribe.quote(account, now, quota)
    for line in preview.lines:
        row = line.row
        assert D(0) <= row.refund <= row.paid
        if row.refund > 0:
            assert row.consumed + row.fee + row.refund == row.paid
    before = await balance(login)
    outcome = await submit(login, now, quota, quote=preview)
    stored = await Unsubscription.select().where(Unsubscription.id == outcome.unsubscription_id).first()
    assert await balance(login) - before == to_fen(preview.totals.refund) == stored["refund_fen"]
    assert (stored["paid_fen"], stored["consumed_fen"], stored["fee_fen"]) == tuple(
        to_fen(x) for x in (preview.totals.paid, preview.totals.consumed, preview.totals.fee)
    )
    assert stored["five_day"] == preview.five_day
