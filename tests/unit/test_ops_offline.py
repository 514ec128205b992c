"""线下合同订单 in the operator console (SPEC.md §7, §15): the orders waiting for an offline contract payment;
确认到账 with the payment reference pays the order once through the payment service (the state machine, one charge,
the coupon spent, no balance touched), a second confirmation is the first one's result (same reference) or a 409;
驳回 with a reason cancels the order and tells the placer. One audit row per action; ten confirmations at once pay
once; the command line's `orders confirm-offline` takes the same path; a partner session gets 404."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from models.enums import AuditAction, OrderStatus
from models.services import coupons, offline_payments, payments, purchase
from models.services.accounts import account_by_login
from models.services.errors import Conflict, DomainError, NotFound
from models.services.operators import find_operator
from models.tables import AuditEntry, Charge, Coupon, LedgerEntry, Outbox, Period
from tests.helpers.http import csrf_token, sign_in
from tests.helpers.ops import make_operator, ops_post, sign_in_operator
from tests.unit.test_cli import cli

BUYER = "partner-b-buyer"
RACE = 10


@pytest.fixture
async def operator(demo, clock):
    return await find_operator(await make_operator(clock.now()))


async def contract_order(clock, coupon_id: int | None = None, login: str = BUYER) -> str:
    """A 标准级 purchase whose placer chose 申请线上合同请款后支付 (with a coupon, if given)."""
    buyer = await account_by_login(login)
    order_id = await purchase.place(buyer, "standard", 1, None, clock.now())
    await payments.choose(buyer, order_id, "contract", coupon_id, clock.now())
    return order_id


async def audit_rows(action: AuditAction) -> list[dict]:
    return await AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id)


async def money_rows() -> tuple[int, int]:
    return await LedgerEntry.count(), sum(row["balance_fen"] for row in await _balances())


async def _balances() -> list[dict]:
    from models.tables import Account

    return await Account.select(Account.balance_fen)


# --- the service ---


async def test_the_list_holds_pending_contract_orders_only(operator, clock):
    waiting = await contract_order(clock)
    other = await purchase.place(await account_by_login("partner-a"), "standard", 1, None, clock.now())
    await payments.choose(await account_by_login("partner-a"), other, "balance", None, clock.now())
    found = await offline_payments.waiting()
    assert [w.order.id for w in found.orders] == [waiting] and found.total == 1
    assert found.orders[0].login == BUYER and found.orders[0].company


async def test_confirm_pays_once_with_its_reference_and_one_audit_row(operator, clock):
    buyer = await account_by_login(BUYER)
    coupon = await coupons.grant(buyer.id, clock.now(), voucher=Decimal("500"))
    order_id = await contract_order(clock, coupon)
    before = await money_rows()
    done = await offline_payments.confirm(operator, order_id, " BANK-2024-0001 ", clock.now())
    assert not done.replay and done.order.status == OrderStatus.PAID and done.order.payment_ref == "BANK-2024-0001"
    assert done.order.due_fen == 850_000 - 50_000
    assert await Charge.count().where(Charge.order_id == order_id) == 1
    assert await Period.count() == 1
    assert await money_rows() == before  # the money came from outside: no balance, no ledger row
    assert (await Coupon.select().where(Coupon.id == coupon).first())["used_order_id"] == order_id
    [row] = await audit_rows(AuditAction.CONFIRM_OFFLINE)
    assert row["operator"] == operator.id and row["order_id"] == order_id and row["account"] == buyer.id
    assert "BANK-2024-0001" in row["detail"] and "¥8,000.00" in row["detail"]
    assert await Outbox.count().where((Outbox.account == buyer.id) & (Outbox.subject == "订单已支付")) == 1

    again = await offline_payments.confirm(operator, order_id, "BANK-2024-0001", clock.now())
    assert again.replay and again.order.status == OrderStatus.PAID
    with pytest.raises(Conflict) as other_reference:
        await offline_payments.confirm(operator, order_id, "BANK-OTHER", clock.now())
    assert other_reference.value.status_code == 409 and other_reference.value.params["reference"] == "BANK-2024-0001"
    with pytest.raises(Conflict):
        await offline_payments.reject(operator, order_id, "太晚了", clock.now())
    assert await Charge.count().where(Charge.order_id == order_id) == 1
    assert (
        len(await audit_rows(AuditAction.CONFIRM_OFFLINE)) == 1
        and len(await audit_rows(AuditAction.REJECT_OFFLINE)) == 0
    )


async def test_ten_confirmations_at_once_pay_once(operator, clock):
    order_id = await contract_order(clock)
    results = await asyncio.gather(
        *[offline_payments.confirm(operator, order_id, f"REF-{n % 2}", clock.now()) for n in range(RACE)],
        return_exceptions=True,
    )
    done = [r for r in results if isinstance(r, offline_payments.Confirmed)]
    refused = [r for r in results if not isinstance(r, offline_payments.Confirmed)]
    assert all(isinstance(r, Conflict) for r in refused), refused
    assert len([d for d in done if not d.replay]) == 1
    assert await Charge.count().where(Charge.order_id == order_id) == 1
    assert len(await audit_rows(AuditAction.CONFIRM_OFFLINE)) == 1


@pytest.mark.parametrize(("reference", "field"), [("", "reference"), ("   ", "reference"), ("x" * 65, "reference")])
async def test_a_confirmation_needs_a_reference(operator, clock, reference, field):
    order_id = await contract_order(clock)
    with pytest.raises(DomainError) as refused:
        await offline_payments.confirm(operator, order_id, reference, clock.now())
    assert refused.value.field == field and refused.value.status_code == 400
    assert await AuditEntry.count() == 0


async def test_only_a_contract_order_is_confirmed(operator, clock):
    buyer = await account_by_login(BUYER)
    order_id = await purchase.place(buyer, "standard", 1, None, clock.now())
    await payments.choose(buyer, order_id, "balance", None, clock.now())
    with pytest.raises(Conflict):
        await offline_payments.confirm(operator, order_id, "REF", clock.now())
    with pytest.raises(NotFound):
        await offline_payments.confirm(operator, "CS000", "REF", clock.now())
    assert await AuditEntry.count() == 0


async def test_reject_cancels_the_order_and_tells_the_placer(operator, clock):
    buyer = await account_by_login(BUYER)
    order_id = await contract_order(clock)
    for reason, field in [("", "reason"), ("x" * 201, "reason")]:
        with pytest.raises(DomainError) as refused:
            await offline_payments.reject(operator, order_id, reason, clock.now())
        assert refused.value.field == field
    rejected = await offline_payments.reject(operator, order_id, "合同未盖章", clock.now())
    assert rejected.status == OrderStatus.CANCELLED and rejected.closed_at == clock.now()
    [told] = await Outbox.select().where(
        (Outbox.account == buyer.id) & (Outbox.subject == offline_payments.REJECTED_SUBJECT)
    )
    assert order_id in told["body"] and "合同未盖章" in told["body"]
    [row] = await audit_rows(AuditAction.REJECT_OFFLINE)
    assert row["order_id"] == order_id and row["reason"] == "合同未盖章" and row["operator"] == operator.id
    with pytest.raises(Conflict):
        await offline_payments.reject(operator, order_id, "again", clock.now())
    with pytest.raises(Conflict):
        await offline_payments.confirm(operator, order_id, "REF", clock.now())
    assert len(await audit_rows(AuditAction.REJECT_OFFLINE)) == 1 and await Charge.count() == 0


async def test_the_command_line_confirms_through_the_same_service(db, demo, clock):
    order_id = await contract_order(clock)
    first = cli(db, "orders", "confirm-offline", order_id, "--reference", "BANK-9")
    assert first.returncode == 0 and f"order {order_id}: paid" in first.stdout, first.stderr
    again = cli(db, "orders", "confirm-offline", order_id, "--reference", "BANK-9")
    assert again.returncode == 0 and "already confirmed" in again.stdout
    other = cli(db, "orders", "confirm-offline", order_id, "--reference", "BANK-10")
    assert other.returncode == 2 and other.stderr.count("\n") == 1 and "Traceback" not in other.stderr
    [row] = await audit_rows(AuditAction.CONFIRM_OFFLINE)
    assert row["order_id"] == order_id and "BANK-9" in row["detail"]
    assert (await find_operator(row["operator"])) is None  # the built-in `cli` operator, who cannot sign in
    assert await Charge.count().where(Charge.order_id == order_id) == 1


# --- the screen ---


async def test_the_screen_confirms_an_order(client, demo, clock):
    order_id = await contract_order(clock)
    await make_operator(clock.now())
    await sign_in_operator(client)
    listed = await client.get("/ops/offline-orders")
    assert listed.status_code == 200 and order_id in listed.text and "no-store" in listed.headers["cache-control"]
    assert f'href="/ops/offline-orders/{order_id}"' in listed.text and "¥8,500.00" in listed.text
    shown = await client.get(f"/ops/offline-orders/{order_id}")
    assert "确认到账" in shown.text and "付款参考号" in shown.text and "驳回原因" in shown.text
    path = f"/ops/offline-orders/{order_id}/confirm"
    empty = await ops_post(client, path, {"reference": ""}, token_from=f"/ops/offline-orders/{order_id}")
    assert empty.status_code == 400 and 'href="#reference"' in empty.text and 'aria-invalid="true"' in empty.text
    done = await ops_post(client, path, {"reference": "BANK-1"}, token_from=f"/ops/offline-orders/{order_id}")
    assert done.status_code == 303 and done.headers["location"] == "/ops/offline-orders"
    after = await client.get("/ops/offline-orders")
    assert (
        'role="status"' in after.text
        and "BANK-1" in after.text
        and f'href="/ops/offline-orders/{order_id}"' not in after.text
    )
    replay = await ops_post(client, path, {"reference": "BANK-1"}, token_from="/ops/offline-orders")
    assert replay.status_code == 303
    other = await ops_post(client, path, {"reference": "BANK-2"}, token_from="/ops/offline-orders")
    assert other.status_code == 409 and "BANK-1" in other.text and 'role="alert"' in other.text
    closed = await client.get(f"/ops/offline-orders/{order_id}")
    assert closed.status_code == 409 and "已支付" in closed.text
    assert await Charge.count().where(Charge.order_id == order_id) == 1
    assert len(await audit_rows(AuditAction.CONFIRM_OFFLINE)) == 1


async def test_the_screen_rejects_an_order_with_a_reason(client, demo, clock):
    order_id = await contract_order(clock)
    await make_operator(clock.now())
    await sign_in_operator(client)
    path = f"/ops/offline-orders/{order_id}/reject"
    empty = await ops_post(client, path, {"reason": " "}, token_from=f"/ops/offline-orders/{order_id}")
    assert empty.status_code == 400 and 'href="#reason"' in empty.text
    done = await ops_post(client, path, {"reason": "客户取消采购"}, token_from=f"/ops/offline-orders/{order_id}")
    assert done.status_code == 303
    assert len(await audit_rows(AuditAction.REJECT_OFFLINE)) == 1
    assert (await client.get("/ops/offline-orders/CS000")).status_code == 404
    # the member sees the order cancelled
    client.cookies.clear()
    await sign_in(client, BUYER)
    assert "已取消" in (await client.get(f"/orders/{order_id}")).text


async def test_ten_confirmations_through_the_screen_pay_once(racer, demo, clock):
    order_id = await contract_order(clock)
    await make_operator(clock.now())
    await sign_in_operator(racer)
    token = await csrf_token(racer, f"/ops/offline-orders/{order_id}")
    answers = await asyncio.gather(
        *[
            racer.post(
                f"/ops/offline-orders/{order_id}/confirm",
                data={"reference": "BANK-R", "_csrf_token": token},
                follow_redirects=False,
            )
            for _ in range(RACE)
        ]
    )
    assert all(a.status_code in (303, 409) for a in answers), [a.status_code for a in answers]
    assert await Charge.count().where(Charge.order_id == order_id) == 1
    assert len(await audit_rows(AuditAction.CONFIRM_OFFLINE)) == 1


async def test_a_partner_session_gets_404(client, demo, clock):
    order_id = await contract_order(clock)
    await sign_in(client, BUYER)
    assert (await client.get("/ops/offline-orders")).status_code == 404
    token = await csrf_token(client, "/plan")
    posted = await client.post(f"/ops/offline-orders/{order_id}/confirm", data={"reference": "X", "_csrf_token": token})
    assert posted.status_code == 404 and await AuditEntry.count() == 0
