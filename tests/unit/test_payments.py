"""The payment service: balance, shortfall, coupons, idempotency under concurrency, partner payment and the offline
contract (SPEC.md §7). Gateway callbacks are in test_captures.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from models.db import write_transaction
from models.enums import OrderKind
from models.services import coupons, orders, payments, purchase, verification
from models.services.accounts import account_by_login
from models.services.errors import DomainError, NotFound
from models.services.ledger import InsufficientBalance
from models.tables import LedgerEntry, Outbox, Period, SupportOrder
from tests.helpers.queries import balance


async def new_order(clock, login="partner-b-buyer", level="standard", months=1) -> tuple[dict, str]:
    account = await account_by_login(login)
    return account, await purchase.place(account, level, months, None, clock.now())


async def test_balance_payment_charges_once_and_starts_the_period(demo, clock):
    account, order_id = await new_order(clock)
    await payments.choose(account, order_id, "balance", None, clock.now())
    paid = await payments.settle(order_id, clock.now(), payer_id=account.id)
    again = await payments.settle(order_id, clock.now(), payer_id=account.id)
    assert paid.status == again.status == "paid"
    assert await balance("partner-b-buyer") == 10_000_000 - 850_000
    period = await Period.select().first()
    assert period["level"] == "standard" and period["order"] == order_id
    assert await Outbox.count().where(Outbox.subject == "订单已支付") == 1


async def test_concurrent_payments_of_one_order_charge_once(demo, clock):
    account, order_id = await new_order(clock)
    await payments.choose(account, order_id, "balance", None, clock.now())
    results = await asyncio.gather(
        *[payments.settle(order_id, clock.now(), payer_id=account.id) for _ in range(5)], return_exceptions=True
    )
    assert all(not isinstance(r, Exception) for r in results), results
    charges = await LedgerEntry.select().where(LedgerEntry.kind == "charge")
    assert len(charges) == 1 and charges[0]["amount_fen"] == -850_000


async def test_two_orders_of_one_company_only_one_plan(demo, clock):
    buyer, first = await new_order(clock, "partner-a-ops")
    main = await account_by_login("partner-a")
    # purchase.place refuses a second pending 新购 (SPEC.md §13); one made before that rule still pays no second plan
    async with write_transaction():
        second, _ = await orders.create_order(
            account=main, kind=OrderKind.PURCHASE, now=clock.now(), level="premium", months=1, list_fen=2_500_000
        )
    await payments.settle(first, clock.now(), payer_id=buyer.id)
    with pytest.raises(DomainError) as refused:
        await payments.settle(second, clock.now(), payer_id=main.id)
    assert "已有合作伙伴支持计划" in refused.value.message
    assert await balance("partner-a") == 10_000_000  # nothing charged for the refused one


async def test_insufficient_balance_names_the_shortfall_and_charges_nothing(demo, clock):
    account, order_id = await new_order(clock, months=12)  # ¥102,000.00 > ¥100,000.00
    with pytest.raises(InsufficientBalance) as short:
        await payments.choose(account, order_id, "balance", None, clock.now())
    assert short.value.shortfall_fen == 200_000
    with pytest.raises(InsufficientBalance):
        await payments.settle(order_id, clock.now(), payer_id=account.id)
    order = await orders.get(order_id)
    assert order.status == "pending" and await balance("partner-b-buyer") == 10_000_000


async def test_voucher_lowers_the_amount_due_and_is_used_once(demo, clock):
    account, order_id = await new_order(clock)
    coupon_id = await coupons.grant(account.id, clock.now(), voucher=Decimal("500"), minimum=Decimal("1000"))
    order = await payments.choose(account, order_id, "balance", coupon_id, clock.now())
    assert (order.discount_fen, order.due_fen) == (50_000, 800_000)
    await payments.settle(order_id, clock.now(), payer_id=account.id)
    assert await balance("partner-b-buyer") == 10_000_000 - 800_000
    assert await coupons.usable(account.id, Decimal("8500"), clock.now()) == []


async def test_discount_coupon_and_expired_coupon(demo, clock):
    account, order_id = await new_order(clock)
    rate = await coupons.grant(account.id, clock.now(), rate=Decimal("0.9"))
    expired = await coupons.grant(
        account.id, clock.now(), voucher=Decimal("100"), expires_at=clock.now() - timedelta(days=1)
    )
    with pytest.raises(DomainError):
        await payments.choose(account, order_id, "balance", expired, clock.now())
    order = await payments.choose(account, order_id, "balance", rate, clock.now())
    assert order.due_fen == 765_000


async def test_partner_payment_goes_to_the_main_account_without_coupons(demo, clock):
    member, order_id = await new_order(clock)
    coupon_id = await coupons.grant(member.id, clock.now(), voucher=Decimal("100"))
    with pytest.raises(DomainError):
        await payments.choose(member, order_id, "partner", coupon_id, clock.now())
    order = await payments.choose(member, order_id, "partner", None, clock.now())
    main = await account_by_login("partner-b")
    assert order.payer == main.id
    assert [o.id for o in await orders.awaiting_partner_payment(main)] == [order_id]
    await verification.send_code(main, order_id, "email", clock.now())
    code = (await Outbox.select().where(Outbox.account == main.id).order_by(Outbox.id, ascending=False).first())["body"]
    code = code.split("验证码 ")[1][:6]
    await payments.pay_verified(main, order_id, code, clock.now())
    assert await balance("partner-b") == 10_000_000 - 850_000
    assert await balance("partner-b-buyer") == 10_000_000


async def test_contract_order_waits_for_the_operator(demo, clock):
    account, order_id = await new_order(clock)
    coupon_id = await coupons.grant(account.id, clock.now(), rate=Decimal("0.8"))
    await payments.choose(account, order_id, "contract", coupon_id, clock.now())
    assert (await orders.get(order_id)).status == "pending"
    order = await payments.confirm_offline(order_id, clock.now())
    assert order.status == "paid" and order.due_fen == 680_000


async def test_cancel_and_lapse(demo, clock):
    account, order_id = await new_order(clock)
    cancelled = await orders.cancel(account, order_id, clock.now())
    assert cancelled.status == "cancelled"
    with pytest.raises(DomainError):
        await payments.settle(order_id, clock.now(), payer_id=account.id)
    _, other = await new_order(clock)
    assert await orders.lapse(clock.now() + timedelta(days=6)) == 0
    assert await orders.lapse(clock.now() + timedelta(days=7, seconds=1)) == 1
    assert (await orders.get(other)).status == "cancelled"


async def test_an_order_is_not_found_for_another_account(demo, clock):
    _, order_id = await new_order(clock)
    stranger = await account_by_login("partner-a-ops")
    with pytest.raises(NotFound):
        await orders.get_for(stranger, order_id)


async def test_verification_code_rules(demo, clock):
    account, order_id = await new_order(clock)
    await payments.choose(account, order_id, "balance", None, clock.now())
    await verification.send_code(account, order_id, "phone", clock.now())
    with pytest.raises(DomainError):  # a new code only after 60 seconds
        await verification.send_code(account, order_id, "phone", clock.now() + timedelta(seconds=30))
    for _ in range(5):
        async with write_transaction():
            problem = await verification.check_code(account, order_id, "12345a", clock.now())
        assert problem == "请输入6位数字验证码。"
    wrong = None
    from models.tables import VerificationCode

    row = await Outbox.select().where(Outbox.account == account.id).order_by(Outbox.id, ascending=False).first()
    code = row["body"].split("验证码 ")[1][:6]
    stored_hash = (await VerificationCode.select().order_by(VerificationCode.id, ascending=False).first())["code_hash"]
    assert code not in stored_hash  # only the hash is kept
    bad = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        async with write_transaction():
            wrong = await verification.check_code(account, order_id, bad, clock.now())
    assert "5次" in wrong
    async with write_transaction():
        assert await verification.check_code(account, order_id, code, clock.now()) is not None  # void now
    later = clock.now() + timedelta(seconds=61)
    await verification.send_code(account, order_id, "phone", later)
    row = await Outbox.select().where(Outbox.account == account.id).order_by(Outbox.id, ascending=False).first()
    fresh = row["body"].split("验证码 ")[1][:6]
    async with write_transaction():
        assert (
            await verification.check_code(account, order_id, fresh, later + timedelta(minutes=11))
            == "验证码已过期，请重新获取。"
        )
    async with write_transaction():  # a code is good for its own order only
        assert await verification.check_code(account, "CSOTHER", fresh, later) == "请先获取验证码。"
    stored = await SupportOrder.select().where(SupportOrder.id == order_id).first()
    assert stored["status"] == "pending"


async def test_code_state_tells_tries_left_and_when_a_new_code_may_be_sent(demo, clock):
    account, order_id = await new_order(clock)
    await payments.choose(account, order_id, "balance", None, clock.now())
    before = await verification.code_state(account, order_id, clock.now())
    assert (before.channel, before.tries_left, before.live, before.resend_at) == (None, 0, False, clock.now())
    await verification.send_code(account, order_id, "email", clock.now())
    state = await verification.code_state(account, order_id, clock.now() + timedelta(seconds=20))
    assert (state.channel, state.tries_left, state.live) == ("email", 5, True)
    assert state.resend_at == clock.now() + timedelta(seconds=60)
    assert state.expires_at == clock.now() + timedelta(minutes=10)
    async with write_transaction():
        assert await verification.check_code(account, order_id, "000000", clock.now()) in (
            verification.WRONG_CODE,
            None,
        )
    assert (await verification.code_state(account, order_id, clock.now())).tries_left in (4, 0)
    expired = await verification.code_state(account, order_id, clock.now() + timedelta(minutes=11))
    assert expired.tries_left == 0 and not expired.live
    # five codes in an hour: the sixth may be requested when the first leaves the hour
    for minutes in (2, 4, 6, 8):
        await verification.send_code(account, order_id, "phone", clock.now() + timedelta(minutes=minutes))
    later = clock.now() + timedelta(minutes=10)
    assert (await verification.code_state(account, order_id, later)).resend_at == clock.now() + timedelta(hours=1)
    with pytest.raises(DomainError) as refused:
        await verification.send_code(account, order_id, "phone", later)
    assert "1小时内已获取5次验证码" in refused.value.message % refused.value.params
