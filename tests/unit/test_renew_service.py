"""Renewal (续费) and auto-renew as services: dates, amounts, the order's checks, and the daily job (SPEC.md §3, §8)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from models.db import write_transaction
from models.records import Order
from models.rules.periods import BEIJING, TERMS, renewal_period
from models.rules.pricing import Catalog, list_price
from models.services import auto_renew, ledger, orders, payments, renewal
from models.services.accounts import account_by_login
from models.services.errors import Conflict, DomainError
from models.services.jobs import run_due
from models.services.plans import plan_state
from models.tables import LedgerEntry, Outbox, Period, Plan, RenewalAttempt, SupportOrder
from tests.helpers.queries import balance
from tests.helpers.renewals import buy, ends_on_jan_31
from tests.helpers.times import bj


async def renew(clock, account: dict, months: int, key: str | None = None) -> dict:
    order_id = await renewal.place(account, months, key, clock.now())
    return await payments.settle(order_id, clock.now(), payer_id=account.id)


async def messages(login: str) -> list[dict]:
    account = await account_by_login(login)
    return await Outbox.select().where(Outbox.account == account.id).order_by(Outbox.id)


async def set_auto(account: dict, clock, months: int | None = None) -> None:
    state = await plan_state(account.partner, clock.now())
    await renewal.set_auto_renew(account, "on", months or renewal.default_auto_months(state), clock.now())


# ------------------------------------------------------------------------------------------ dates and amounts


async def test_done_means_jan_31_plus_one_month_is_feb_29_and_costs_8500(demo, clock):
    account = await ends_on_jan_31(clock)
    clock.moment = bj(2024, 1, 20, 15, 0)
    before = await balance("partner-b-buyer")
    order = await renew(clock, account, 1)
    assert order.status == "paid" and order.kind == "renewal" and order.due_fen == 850_000
    assert await balance("partner-b-buyer") == before - 850_000
    state = await plan_state(account.partner, clock.now())
    assert state.valid_until == bj(2024, 2, 29, 23, 59, 59)
    new = state.upcoming[-1]
    assert new.is_renewal and new.start == bj(2024, 2, 1, 0, 0, 0) and new.level == "standard"
    assert [v.charges[0].amount for v in state.views][-1] == 8500  # one charge for the whole new period
    assert state.views[-1].charges[0].span_start == new.start and state.views[-1].charges[0].span_end == new.end


@pytest.mark.parametrize(
    ("end", "months", "new_end"),
    [
        (bj(2024, 1, 31, 23, 59, 59), 1, bj(2024, 2, 29, 23, 59, 59)),  # leap year, clamped
        (bj(2023, 1, 31, 23, 59, 59), 1, bj(2023, 2, 28, 23, 59, 59)),
        (bj(2024, 2, 29, 23, 59, 59), 12, bj(2025, 2, 28, 23, 59, 59)),
        (bj(2024, 2, 1, 23, 59, 59), 2, bj(2024, 4, 1, 23, 59, 59)),
        (bj(2023, 12, 31, 23, 59, 59), 36, bj(2026, 12, 31, 23, 59, 59)),
    ],
)
def test_renewal_quote_dates(end, months, new_end):
    quote = renewal.quote_after(end, "standard", months)
    assert quote.start == end + timedelta(seconds=1) and quote.end == new_end and quote.current_end == end


@pytest.mark.parametrize(
    ("level", "months", "fen"),
    [
        ("standard", 1, 850_000),
        ("standard", 2, 1_700_000),
        ("standard", 11, 9_350_000),
        ("standard", 12, 10_200_000),
        ("standard", 24, 20_400_000),
        ("premium", 1, 2_500_000),
        ("premium", 36, 90_000_000),
    ],
)
def test_renewal_price_is_monthly_times_months(level, months, fen):
    assert renewal.price_fen(level, months) == fen


def test_yearly_discount_setting_applies_to_year_terms_only():
    from decimal import Decimal

    catalog = Catalog(yearly_discount=Decimal("0.05"))
    assert list_price("standard", 12, catalog) == Decimal("96900.00")
    assert list_price("standard", 11, catalog) == Decimal("93500.00")


@hsettings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=datetime(2020, 1, 1).date(), max_value=datetime(2030, 12, 31).date()),
    months=st.sampled_from(TERMS),
)
def test_renewal_always_follows_the_end_and_ends_at_day_end(day, months):
    end = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=BEIJING)
    quote = renewal.quote_after(end, "standard", months)
    assert quote.start - end == timedelta(seconds=1)
    assert (quote.end.hour, quote.end.minute, quote.end.second) == (23, 59, 59)
    assert (quote.start, quote.end) == renewal_period(end, months) and quote.end > quote.start


async def test_renewal_bought_on_the_last_day_before_the_end(demo, clock):
    account = await ends_on_jan_31(clock)
    clock.moment = bj(2024, 1, 31, 23, 59, 0)
    await renew(clock, account, 1)
    clock.moment = bj(2024, 2, 1, 0, 0, 30)  # the next minute: the renewal is the current period
    state = await plan_state(account.partner, clock.now())
    assert state.level == "standard" and state.current.is_renewal
    assert state.valid_from == bj(2024, 2, 1) and state.valid_until == bj(2024, 2, 29, 23, 59, 59)


async def test_a_renewal_of_a_renewal_chains_on(demo, clock):
    account = await ends_on_jan_31(clock)
    await renew(clock, account, 1, key="a")
    await renew(clock, account, 2, key="b")
    state = await plan_state(account.partner, clock.now())
    assert [(p.start, p.end) for p in state.upcoming] == [
        (bj(2024, 2, 1), bj(2024, 2, 29, 23, 59, 59)),
        (bj(2024, 3, 1), bj(2024, 4, 29, 23, 59, 59)),
    ]


async def test_the_level_of_the_renewal_is_the_last_periods(demo, clock):
    account = await buy(clock, level="premium")
    order = await renew(clock, account, 1)
    assert order.level == "premium" and order.due_fen == 2_500_000


# ------------------------------------------------------------------------------------------ the order's checks


async def test_an_unpaid_renewal_extends_nothing(demo, clock):
    account = await ends_on_jan_31(clock)
    await renewal.place(account, 3, "k", clock.now())
    state = await plan_state(account.partner, clock.now())
    assert state.valid_until == bj(2024, 1, 31, 23, 59, 59) and not state.upcoming
    clock.moment = bj(2024, 2, 1, 0, 0, 1)
    assert (await plan_state(account.partner, clock.now())).level == "basic"


async def test_paying_a_renewal_after_the_plan_ended_is_refused_with_the_reason(demo, clock):
    account = await ends_on_jan_31(clock)
    order_id = await renewal.place(account, 1, None, clock.now())
    before = await balance("partner-b-buyer")
    clock.moment = bj(2024, 2, 1, 9, 0)
    with pytest.raises(Conflict) as refused:
        await payments.settle(order_id, clock.now(), payer_id=account.id)
    assert (
        str(refused.value)
        == "支持计划已于 2024/01/31 23:59:59 到期，不能再为它续费。如需继续使用，请通过“更改”重新购买。"
    )
    assert await balance("partner-b-buyer") == before
    assert (await orders.get(order_id)).status == "pending"
    assert await Period.count() == 1
    with pytest.raises(DomainError):  # 确认付款 is refused too, before any code is sent
        await payments.choose(account, order_id, "balance", None, clock.now())


async def test_paying_a_renewal_of_an_unsubscribed_plan_is_refused(demo, clock):
    account = await ends_on_jan_31(clock)
    order_id = await renewal.place(account, 1, None, clock.now())
    await Period.update({Period.status: "refunded"}, force=True)  # as 退订 leaves it
    with pytest.raises(Conflict) as refused:
        await payments.settle(order_id, clock.now(), payer_id=account.id)
    assert refused.value.message == renewal.PLAN_UNSUBSCRIBED


async def test_a_pending_renewal_cannot_be_paid_after_the_level_changed(demo, clock):
    account = await ends_on_jan_31(clock)
    order_id = await renewal.place(account, 1, None, clock.now())
    await Period.update({Period.level: "premium"}, force=True)  # as an upgrade leaves it
    with pytest.raises(Conflict) as refused:
        await payments.settle(order_id, clock.now(), payer_id=account.id)
    assert refused.value.message == renewal.LEVEL_CHANGED


async def test_two_renewal_orders_of_one_period_only_one_can_be_paid(demo, clock):
    account = await ends_on_jan_31(clock)
    first = await renewal.place(account, 1, "tab-1", clock.now())
    second = await renewal.place(account, 2, "tab-2", clock.now())
    await payments.settle(first, clock.now(), payer_id=account.id)
    with pytest.raises(Conflict) as refused:
        await payments.settle(second, clock.now(), payer_id=account.id)
    assert refused.value.message == renewal.ALREADY_RENEWED
    assert await Period.count() == 2
    assert await LedgerEntry.count().where(LedgerEntry.kind == "charge") == 2  # the purchase and one renewal


async def test_concurrent_payments_of_two_renewals_renew_once(demo, clock):
    account = await ends_on_jan_31(clock)
    ids = [await renewal.place(account, 1, f"tab-{n}", clock.now()) for n in range(4)]
    results = await asyncio.gather(
        *[payments.settle(i, clock.now(), payer_id=account.id) for i in ids], return_exceptions=True
    )
    assert sum(1 for r in results if isinstance(r, Order)) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, Order))
    assert await Period.count().where(Period.is_renewal.eq(True)) == 1


async def test_the_same_form_sent_twice_makes_one_order_and_another_term_another(demo, clock):
    account = await ends_on_jan_31(clock)
    first = await renewal.place(account, 1, "form", clock.now())
    assert await renewal.place(account, 1, "form", clock.now()) == first
    assert await renewal.place(account, 2, "form", clock.now()) != first


async def test_basic_has_nothing_to_renew(demo, clock):
    account = await account_by_login("partner-b-buyer")
    with pytest.raises(Conflict) as refused:
        await renewal.place(account, 1, None, clock.now())
    assert refused.value.message == renewal.NOT_RENEWABLE
    assert await SupportOrder.count() == 0


async def test_bad_term_is_refused_at_the_field(demo, clock):
    account = await buy(clock)
    for months in (None, 0, 13, 48, -1):
        with pytest.raises(DomainError) as refused:
            await renewal.place(account, months, None, clock.now())
        assert refused.value.field == "months"
    assert await SupportOrder.count() == 1


async def test_who_may_buy_may_renew(demo, clock):
    await buy(clock, "partner-b-buyer")
    main = await account_by_login("partner-b")  # non-certified main account
    with pytest.raises(DomainError) as refused:
        await renewal.place(main, 1, None, clock.now())
    assert "主帐号不能直接购买" in str(refused.value)
    other = await account_by_login("partner-b-other")
    with pytest.raises(DomainError):
        await renewal.place(other, 1, None, clock.now())


async def test_the_end_of_a_plan_falls_back_to_basic_and_keeps_history(demo, clock):
    account = await ends_on_jan_31(clock)
    clock.moment = bj(2024, 2, 1, 0, 0, 0)
    state = await plan_state(account.partner, clock.now())
    assert state.level == "basic" and state.current is None and state.quota == 0 and state.valid_until is None
    assert [p.end for p in state.history] == [bj(2024, 1, 31, 23, 59, 59)]


# ------------------------------------------------------------------------------------------ auto-renew setting


async def test_auto_renew_setting_on_and_off(demo, clock):
    account = await buy(clock, months=3)
    state = await plan_state(account.partner, clock.now())
    assert renewal.default_auto_months(state) == 3
    state = await renewal.set_auto_renew(account, "on", 12, clock.now())
    assert state.auto_renew and state.auto_renew_months == 12
    state = await renewal.set_auto_renew(account, "off", None, clock.now())
    assert not state.auto_renew


async def test_auto_renew_setting_refusals(demo, clock):
    basic = await account_by_login("partner-a")
    with pytest.raises(Conflict):
        await renewal.set_auto_renew(basic, "on", 1, clock.now())
    account = await buy(clock)
    with pytest.raises(DomainError) as bad:
        await renewal.set_auto_renew(account, "on", 5000, clock.now())
    assert bad.value.field == "auto_renew_months"
    with pytest.raises(DomainError) as bad:
        await renewal.set_auto_renew(account, "maybe", 1, clock.now())
    assert bad.value.field == "auto_renew"
    main = await account_by_login("partner-b")
    with pytest.raises(DomainError) as refused:
        await renewal.set_auto_renew(main, "on", 1, clock.now())
    assert refused.value.status_code == 403
    await renewal.set_auto_renew(main, "off", None, clock.now())  # switching off is always allowed


# ------------------------------------------------------------------------------------------ the auto-renew job
# The Standard plan bought 2024/01/01 10:30 for a month ends 2024/02/01 23:59:59; attempts start on 2024/01/25 at
# 03:00 Beijing (SPEC.md §16).


async def auto_plan(clock, login="partner-b-buyer", months=None) -> dict:
    account = await buy(clock, login)
    await set_auto(account, clock, months)
    return account


async def test_not_due_before_the_seventh_day(demo, clock):
    await auto_plan(clock)
    clock.moment = bj(2024, 1, 24, 23, 59, 59)
    done = await run_due(clock.now())
    assert done["auto_renewed"] == 0 and done["auto_renew_failed"] == 0
    assert await RenewalAttempt.count() == 0


async def test_job_twice_in_a_row_renews_once(demo, clock):
    account = await auto_plan(clock)
    clock.moment = bj(2024, 1, 25, 3, 0, 5)
    before = await balance("partner-b-buyer")
    first = await run_due(clock.now())
    second = await run_due(clock.now())
    clock.advance(days=1)
    third = await run_due(clock.now())  # the next day: the chain now ends 2024/03/01, nothing is due
    assert (first["auto_renewed"], second["auto_renewed"], third["auto_renewed"]) == (1, 0, 0)
    assert await balance("partner-b-buyer") == before - 850_000
    state = await plan_state(account.partner, clock.now())
    assert state.valid_until == bj(2024, 3, 1, 23, 59, 59)
    order = await SupportOrder.select().where(SupportOrder.kind == "renewal").first()
    assert order["auto"] and order["method"] == "balance" and order["status"] == "paid"
    attempts = await RenewalAttempt.select()
    assert [(a["outcome"], a["order_id"]) for a in attempts] == [("renewed", order["id"])]
    success = [m for m in await messages("partner-b-buyer") if m["subject"] == "自动续费成功"]
    assert len(success) == 1 and "2024/03/01 23:59:59" in success[0]["body"] and "¥8,500.00" in success[0]["body"]


async def test_concurrent_runs_renew_once(demo, clock):
    await auto_plan(clock)
    await auto_plan(clock, "partner-a-ops")
    clock.moment = bj(2024, 1, 28, 12, 0)
    results = await asyncio.gather(*[run_due(clock.now()) for _ in range(4)])
    assert sum(r["auto_renewed"] for r in results) == 2
    assert sum(r["auto_renew_failed"] for r in results) == 0
    assert await Period.count().where(Period.is_renewal.eq(True)) == 2
    assert await LedgerEntry.count().where(LedgerEntry.note == "renewal") == 2
    assert await RenewalAttempt.count() == 2


async def plan_order_id() -> str:
    """Some order of the plan, for a ledger row that empties the balance (a ledger row names a real order)."""
    return (await SupportOrder.select(SupportOrder.id).first())["id"]


async def test_insufficient_balance_says_by_how_much_and_retries_the_next_day(demo, clock):
    account = await auto_plan(clock)
    async with write_transaction():  # leave ¥1,000.00 on the balance
        await ledger.debit(
            account.id, await balance("partner-b-buyer") - 100_000, clock.now(), order_id=await plan_order_id()
        )
    clock.moment = bj(2024, 1, 25, 9, 0)
    done = await run_due(clock.now())
    # reminders_sent: the 30-day reminder (issue 15), due since 2024/01/02 23:59:59
    assert done == {
        "lapsed_orders": 0,
        "auto_renewed": 0,
        "auto_renew_failed": 1,
        "reminders_sent": 1,
        "emails_sent": 0,
    }
    failure = [m for m in await messages("partner-b-buyer") if m["subject"].startswith("自动续费失败")]
    assert len(failure) == 1 and "余额不足，还差 ¥7,500.00" in failure[0]["body"]
    order = await SupportOrder.select().where(SupportOrder.kind == "renewal").first()
    assert order["status"] == "cancelled" and order["auto"]
    assert await balance("partner-b-buyer") == 100_000

    clock.moment = bj(2024, 1, 25, 18, 0)  # the same day: no second attempt, no second message
    assert (await run_due(clock.now()))["auto_renew_failed"] == 0
    # (after 15:00 the reminder before tomorrow's attempt, 自动续费即将扣款, comes: issue 15)
    assert len([m for m in await messages("partner-b-buyer") if m["subject"].startswith("自动续费失败")]) == 1

    clock.moment = bj(2024, 1, 26, 9, 0)  # the next day: tried again, told again
    assert (await run_due(clock.now()))["auto_renew_failed"] == 1
    assert len([m for m in await messages("partner-b-buyer") if m["subject"].startswith("自动续费失败")]) == 2

    async with write_transaction():
        await ledger.credit(account.id, 800_000, clock.now(), kind="top_up")
    clock.moment = bj(2024, 1, 27, 9, 0)
    assert (await run_due(clock.now()))["auto_renewed"] == 1
    assert await balance("partner-b-buyer") == 50_000
    outcomes = [a["outcome"] for a in await RenewalAttempt.select().order_by(RenewalAttempt.id)]
    assert outcomes == ["insufficient", "insufficient", "renewed"]
    assert (await plan_state(account.partner, clock.now())).valid_until == bj(2024, 3, 1, 23, 59, 59)


async def test_attempts_run_until_the_end_then_stop(demo, clock):
    account = await auto_plan(clock)
    async with write_transaction():
        await ledger.debit(account.id, await balance("partner-b-buyer"), clock.now(), order_id=await plan_order_id())
    days = 0
    clock.moment = bj(2024, 1, 20, 12, 0)
    for _ in range(16):
        days += (await run_due(clock.now()))["auto_renew_failed"]
        clock.advance(days=1)
    assert days == 8  # 2024/01/25 to 2024/02/01, the end day included
    state = await plan_state(account.partner, clock.now())
    assert state.level == "basic"
    assert not state.auto_renew  # it ended with the plan: a plan bought later does not inherit it
    assert await RenewalAttempt.count() == 8


async def test_the_account_that_switched_it_on_pays_and_is_told(demo, clock):
    account = await auto_plan(clock, "partner-a-ops")  # bought and switched on by the member
    main = await account_by_login("partner-a")
    await renewal.set_auto_renew(main, "on", 2, clock.now())  # switched on again by the main account: it pays now
    clock.moment = bj(2024, 1, 30, 8, 0)
    await run_due(clock.now())
    assert await balance("partner-a") == 10_000_000 - 1_700_000
    assert await balance("partner-a-ops") == 10_000_000 - 850_000  # the purchase only
    assert [m["subject"] for m in await messages("partner-a")][-1] == "自动续费成功"
    order = await SupportOrder.select().where(SupportOrder.kind == "renewal").first()
    assert order["account"] == main.id and order["account"] != account.id and order["months"] == 2


async def test_auto_renew_off_or_already_renewed_does_nothing(demo, clock):
    account = await auto_plan(clock)
    await renew(clock, account, 1)  # renewed by hand: the chain ends 2024/03/01
    clock.moment = bj(2024, 1, 30, 8, 0)
    assert (await run_due(clock.now()))["auto_renewed"] == 0
    await renewal.set_auto_renew(account, "off", None, clock.now())
    clock.moment = bj(2024, 2, 26, 8, 0)
    assert (await run_due(clock.now()))["auto_renewed"] == 0
    assert await RenewalAttempt.count() == 0


async def test_a_period_is_never_renewed_twice_across_days(demo, clock):
    """Even if today's claim were lost, the order's own check keeps one renewal per period."""
    account = await auto_plan(clock)
    clock.moment = bj(2024, 1, 25, 9, 0)
    await run_due(clock.now())
    last = (await plan_state(account.partner, clock.now())).upcoming[-1]
    await RenewalAttempt.delete(force=True)
    clock.moment = bj(2024, 2, 24, 9, 0)  # the new last period is due now; the old one is not its chain end
    await run_due(clock.now())
    renewed = await Period.select(Period.order).where(Period.is_renewal.eq(True))
    renewed_ids = [
        o["renews_period_id"]
        for o in await SupportOrder.select().where((SupportOrder.kind == "renewal") & (SupportOrder.status == "paid"))
    ]
    assert len(renewed) == 2 and len(set(renewed_ids)) == 2 and last.id in renewed_ids


async def test_a_failing_plan_does_not_stop_the_others(demo, clock, monkeypatch):
    await auto_plan(clock)
    await auto_plan(clock, "partner-a-ops")
    original = auto_renew._attempt
    calls = []

    async def flaky(plan_id, partner_id, now):
        calls.append(plan_id)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return await original(plan_id, partner_id, now)

    monkeypatch.setattr(auto_renew, "_attempt", flaky)
    clock.moment = bj(2024, 1, 26, 9, 0)
    done = await run_due(clock.now())
    assert done["auto_renewed"] == 1 and done["auto_renew_failed"] == 1
    monkeypatch.setattr(auto_renew, "_attempt", original)
    assert (await run_due(clock.now()))["auto_renewed"] == 1  # the next run tries the first plan again
    assert await Plan.count() == 2


async def test_a_claim_taken_by_another_run_is_left_to_it(demo, clock, monkeypatch):
    """Two workers that both read "not attempted yet": the unique key lets one insert the claim, the other
    steps aside without renewing, charging or writing anything."""
    account = await auto_plan(clock)
    clock.moment = bj(2024, 1, 25, 9, 0)
    last = (await plan_state(account.partner, clock.now())).current
    await RenewalAttempt.insert(
        RenewalAttempt(
            period=last.id,
            attempted_on="2024-01-25",
            outcome="",
            unique_key=f"{last.id}:2024-01-25",
            created_at=clock.now(),
        )
    )

    class NotYet:  # what the other worker saw before the claim was committed
        def where(self, *_):
            return self

        def __await__(self):
            return asyncio.sleep(0, False).__await__()

    monkeypatch.setattr(RenewalAttempt, "exists", classmethod(lambda cls: NotYet()))
    before = await balance("partner-b-buyer")
    assert await run_due(clock.now()) == {
        "lapsed_orders": 0,
        "auto_renewed": 0,
        "auto_renew_failed": 0,
        "reminders_sent": 1,  # the 30-day reminder (issue 15): another job, not held by the renewal's claim
        "emails_sent": 0,
    }
    assert await balance("partner-b-buyer") == before
    assert await SupportOrder.count().where(SupportOrder.kind == "renewal") == 0
    assert await RenewalAttempt.count() == 1
