"""Gateway transactions (SPEC.md §11): every verified capture is recorded once, with what became of it — it paid its
order, or its money went back to the placer's balance with a notification; replays and races change nothing more."""

from __future__ import annotations

import asyncio

import pytest

from models.db import write_transaction
from models.enums import CaptureOutcome, LedgerKind, OrderKind, OrderStatus
from models.services import captures, orders, payments, purchase
from models.services.accounts import account_by_login
from models.services.errors import DomainError, NotFound
from models.services.gateway import SandboxGateway
from models.tables import Account, Charge, GatewayTransaction, LedgerEntry, Outbox, Period, SupportOrder
from tests.helpers.http import place_order, post_form, sign_in
from tests.helpers.queries import balance

GATEWAY = SandboxGateway(b"test-secret")
START_BALANCE = 10_000_000
STANDARD_MONTH = 850_000


async def online_order(clock, login="partner-b-buyer", level="standard", months=1):
    account = await account_by_login(login)
    order_id = await purchase.place(account, level, months, None, clock.now())
    order = await payments.choose(account, order_id, "online", None, clock.now())
    return account, order


def signed(order_id: str, amount_fen: int, transaction_id: str) -> tuple[dict[str, str], str]:
    payload = {"order_id": order_id, "amount_fen": str(amount_fen), "status": "paid", "transaction_id": transaction_id}
    return payload, GATEWAY.sign(payload)


async def deliver(order_id: str, amount_fen: int, transaction_id: str, clock):
    payload, signature = signed(order_id, amount_fen, transaction_id)
    return await captures.capture(GATEWAY, payload, signature, clock.now())


async def assert_invariants() -> None:
    """Every balance is the sum of its ledger; every paid order is charged exactly its amount due, once."""
    for account in await Account.select(Account.id, Account.balance_fen):
        entries = await LedgerEntry.select(LedgerEntry.amount_fen).where(LedgerEntry.account == account["id"])
        assert account["balance_fen"] == sum(e["amount_fen"] for e in entries), account
    for order in await SupportOrder.select().where(SupportOrder.status == OrderStatus.PAID):
        charges = await Charge.select(Charge.amount_fen).where(Charge.order_id == order["id"])
        assert sum(c["amount_fen"] for c in charges) == order["due_fen"], order
        debits = await LedgerEntry.select().where(
            (LedgerEntry.order_id == order["id"]) & (LedgerEntry.kind == LedgerKind.CHARGE)
        )
        assert len(debits) <= 1, debits


async def credit_notes(account_id: int) -> list[str]:
    rows = await Outbox.select(Outbox.body).where(
        (Outbox.account == account_id) & (Outbox.subject == captures.CREDITED_SUBJECT)
    )
    return [row["body"] for row in rows]


async def test_a_capture_pays_its_pending_online_order(demo, clock):
    account, order = await online_order(clock)
    recorded = await deliver(order.id, order.due_fen, "SBX-one", clock)
    assert recorded.outcome == CaptureOutcome.APPLIED and recorded.credited_to is None
    assert (recorded.provider, recorded.order_id, recorded.amount_fen) == ("sandbox", order.id, STANDARD_MONTH)
    assert recorded.received_at == clock.now()
    paid = await orders.get(order.id)
    assert paid.status == OrderStatus.PAID and paid.payment_ref == "SBX-one"
    assert await Period.count() == 1
    assert await balance("partner-b-buyer") == START_BALANCE  # paid online, not from the balance
    assert await credit_notes(account.id) == []
    await assert_invariants()


async def test_a_replayed_capture_answers_the_first_result_and_changes_nothing(demo, clock):
    account, order = await online_order(clock)
    first = await deliver(order.id, order.due_fen, "SBX-replay", clock)
    counts = (await GatewayTransaction.count(), await LedgerEntry.count(), await Outbox.count(), await Period.count())
    clock.advance(minutes=5)
    for _ in range(3):
        assert await deliver(order.id, order.due_fen, "SBX-replay", clock) == first
    assert counts == (
        await GatewayTransaction.count(),
        await LedgerEntry.count(),
        await Outbox.count(),
        await Period.count(),
    )
    # A credited capture replayed does not credit again either.
    second = await deliver(order.id, order.due_fen, "SBX-second", clock)
    assert await deliver(order.id, order.due_fen, "SBX-second", clock) == second
    assert await balance("partner-b-buyer") == START_BALANCE + STANDARD_MONTH
    assert len(await credit_notes(account.id)) == 1
    await assert_invariants()


async def test_refused_callbacks_write_nothing(demo, clock):
    _, order = await online_order(clock)
    payload, signature = signed(order.id, order.due_fen, "SBX-bad")
    with pytest.raises(DomainError):
        await captures.capture(GATEWAY, payload, "0" * 64, clock.now())  # forged
    with pytest.raises(DomainError):
        await captures.capture(GATEWAY, {**payload, "amount_fen": "1"}, signature, clock.now())  # altered
    for bad in (
        {"status": "failed"},
        {"transaction_id": ""},
        {"transaction_id": "X" * 65},
        {"amount_fen": ""},
        {"amount_fen": "-1"},
        {"amount_fen": "８５"},  # digits, but not ASCII ones
        {"amount_fen": "9" * 16},
    ):
        changed = {**payload, **bad}
        with pytest.raises(DomainError):
            await captures.capture(GATEWAY, changed, GATEWAY.sign(changed), clock.now())
    for signature_sent in ("🙂", "é" * 64, ""):  # not hex at all: refused, not an error
        with pytest.raises(DomainError):
            await captures.capture(GATEWAY, payload, signature_sent, clock.now())
    odd = {**payload, "transaction_id": "\ud800"}  # a lone surrogate: signs and verifies, refused as malformed
    with pytest.raises(DomainError):
        await captures.capture(GATEWAY, odd, GATEWAY.sign(odd), clock.now())
    unknown = {**payload, "order_id": "CSNOSUCHORDER"}
    with pytest.raises(NotFound):
        await captures.capture(GATEWAY, unknown, GATEWAY.sign(unknown), clock.now())
    assert await GatewayTransaction.count() == 0
    assert (await orders.get(order.id)).status == OrderStatus.PENDING
    assert await LedgerEntry.count().where(LedgerEntry.kind != LedgerKind.TOP_UP) == 0


async def test_capture_after_a_balance_payment_is_credited_and_the_order_charged_once(demo, clock):
    account, order = await online_order(clock)  # the person went to the gateway and paid there …
    await payments.choose(account, order.id, "balance", None, clock.now())  # … then paid by balance too
    await payments.settle(order.id, clock.now(), payer_id=account.id)
    clock.advance(seconds=30)
    recorded = await deliver(order.id, STANDARD_MONTH, "SBX-late", clock)  # the gateway's callback arrives late
    assert recorded.outcome == CaptureOutcome.CREDITED and recorded.credited_to == account.id
    assert "已支付" in recorded.note
    assert await balance("partner-b-buyer") == START_BALANCE  # charged once, the online money given back
    entries = await LedgerEntry.select().where(LedgerEntry.order_id == order.id).order_by(LedgerEntry.id)
    assert [(e["kind"], e["amount_fen"]) for e in entries] == [
        (LedgerKind.CHARGE, -STANDARD_MONTH),
        (LedgerKind.REFUND, STANDARD_MONTH),
    ]
    assert "SBX-late" in entries[1]["note"]
    assert await Charge.count().where(Charge.order_id == order.id) == 1
    assert (await orders.get(order.id)).payment_ref is None  # paid by the balance, not by the capture
    [note] = await credit_notes(account.id)
    assert "SBX-late" in note and order.id in note and "¥8,500.00" in note and "退回您的余额" in note
    await assert_invariants()


async def test_a_second_transaction_for_one_order_is_credited(demo, clock):
    account, order = await online_order(clock)
    first = await deliver(order.id, order.due_fen, "SBX-first", clock)
    second = await deliver(order.id, order.due_fen, "SBX-again", clock)
    assert (first.outcome, second.outcome) == (CaptureOutcome.APPLIED, CaptureOutcome.CREDITED)
    assert second.credited_to == account.id
    assert (await orders.get(order.id)).payment_ref == "SBX-first"
    assert await balance("partner-b-buyer") == START_BALANCE + STANDARD_MONTH
    assert await Period.count() == 1
    await assert_invariants()


async def test_captures_for_cancelled_and_lapsed_orders_are_credited(demo, clock):
    account, cancelled = await online_order(clock)
    await orders.cancel(account, cancelled.id, clock.now())
    _, lapsed = await online_order(clock, login="partner-a-ops")
    clock.advance(days=8)
    assert await orders.lapse(clock.now(), 7) == 1
    assert (await orders.get(lapsed.id)).status == OrderStatus.CANCELLED
    for order, login in ((cancelled, "partner-b-buyer"), (lapsed, "partner-a-ops")):
        recorded = await deliver(order.id, order.due_fen, f"SBX-{login}", clock)
        assert recorded.outcome == CaptureOutcome.CREDITED and "已取消" in recorded.note
        assert (await orders.get(order.id)).status == OrderStatus.CANCELLED
        assert await balance(login) == START_BALANCE + order.due_fen
    assert await Period.count() == 0
    await assert_invariants()


async def test_a_capture_of_another_amount_or_for_another_method_is_credited(demo, clock):
    account, order = await online_order(clock)
    other = await deliver(order.id, 100, "SBX-other-amount", clock)
    assert other.outcome == CaptureOutcome.CREDITED and "应付金额" in other.note
    await payments.choose(account, order.id, "contract", None, clock.now())
    contract = await deliver(order.id, order.due_fen, "SBX-contract", clock)
    assert contract.outcome == CaptureOutcome.CREDITED and "未选择在线支付" in contract.note
    assert (await orders.get(order.id)).status == OrderStatus.PENDING
    assert await balance("partner-b-buyer") == START_BALANCE + 100 + STANDARD_MONTH
    await assert_invariants()


async def test_a_capture_its_order_can_no_longer_take_is_credited_with_nothing_half_done(demo, clock):
    """The company bought a plan another way meanwhile: paying this purchase is refused, so the capture is credited
    and whatever the attempt wrote is undone (a savepoint inside the capture's transaction)."""
    _, first = await online_order(clock, login="partner-a-ops")
    # purchase.place refuses a second pending 新购 (SPEC.md §13): this one was placed before that rule
    main = await account_by_login("partner-a")
    async with write_transaction():
        second_id, _ = await orders.create_order(
            account=main, kind=OrderKind.PURCHASE, now=clock.now(), level="premium", months=1, list_fen=2_500_000
        )
    second = await payments.choose(main, second_id, "online", None, clock.now())
    await deliver(first.id, first.due_fen, "SBX-plan", clock)
    recorded = await deliver(second.id, second.due_fen, "SBX-no-plan", clock)
    assert recorded.outcome == CaptureOutcome.CREDITED and recorded.credited_to == main.id
    assert "已有合作伙伴支持计划" in recorded.note
    assert (await orders.get(second.id)).status == OrderStatus.PENDING
    assert await Period.count() == 1 and await Charge.count().where(Charge.order_id == second.id) == 0
    assert await balance("partner-a") == START_BALANCE + second.due_fen
    assert await Outbox.count().where((Outbox.account == main.id) & (Outbox.subject == "订单已支付")) == 0
    await assert_invariants()


async def test_concurrent_captures_for_one_order_apply_once_and_credit_the_rest(demo, clock):
    account, order = await online_order(clock)
    deliveries = [deliver(order.id, order.due_fen, f"SBX-race-{n:02d}", clock) for n in range(50)]
    results = await asyncio.gather(*deliveries, return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    outcomes = [r.outcome for r in results if not isinstance(r, BaseException)]
    assert outcomes.count(CaptureOutcome.APPLIED) == 1 and outcomes.count(CaptureOutcome.CREDITED) == 49
    assert await GatewayTransaction.count() == 50
    assert await balance("partner-b-buyer") == START_BALANCE + 49 * STANDARD_MONTH
    assert len(await credit_notes(account.id)) == 49
    assert await Period.count() == 1
    await assert_invariants()


async def test_concurrent_deliveries_of_one_transaction_record_it_once(demo, clock):
    account, order = await online_order(clock)
    results = await asyncio.gather(
        *[deliver(order.id, order.due_fen, "SBX-same", clock) for _ in range(50)], return_exceptions=True
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert len({r.id for r in results if not isinstance(r, BaseException)}) == 1
    assert await GatewayTransaction.count() == 1
    assert (await orders.get(order.id)).status == OrderStatus.PAID
    # And 50 deliveries of one late transaction for the now-paid order credit it once.
    results = await asyncio.gather(
        *[deliver(order.id, order.due_fen, "SBX-same-late", clock) for _ in range(50)], return_exceptions=True
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert {r.outcome for r in results if not isinstance(r, BaseException)} == {CaptureOutcome.CREDITED}
    assert await GatewayTransaction.count() == 2
    assert await balance("partner-b-buyer") == START_BALANCE + STANDARD_MONTH
    assert len(await credit_notes(account.id)) == 1
    await assert_invariants()


async def test_one_transaction_id_raced_for_two_companies_is_recorded_once(demo, clock):
    """Different companies do not wait for each other's lock: the unique key decides, the loser answers the
    winner's row and its own transaction is rolled back whole."""
    _, b_order = await online_order(clock)
    _, a_order = await online_order(clock, login="partner-a-ops")
    results = await asyncio.gather(
        *[deliver(o.id, o.due_fen, "SBX-shared", clock) for _ in range(25) for o in (b_order, a_order)],
        return_exceptions=True,
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert len({r.id for r in results if not isinstance(r, BaseException)}) == 1
    assert await GatewayTransaction.count() == 1
    statuses = {(await orders.get(o.id)).status for o in (b_order, a_order)}
    assert statuses == {OrderStatus.PAID, OrderStatus.PENDING}
    await assert_invariants()


async def test_the_sandbox_page_and_callback_record_transactions(client, demo, settings):
    await sign_in(client, "partner-b-buyer")
    order_id = await place_order(client)
    checkout = (await post_form(client, f"/orders/{order_id}/pay", {"method": "online"})).headers["location"]
    token = (await client.get(checkout)).text.split('name="token" value="')[1].split('"')[0]
    form = {"decision": "pay", "amount_fen": "850000", "token": token}
    paid = await post_form(client, f"/payments/sandbox/{order_id}", form, token_from=checkout)
    assert paid.headers["location"] == f"/orders/{order_id}/result"
    [row] = await GatewayTransaction.select()
    assert row["outcome"] == CaptureOutcome.APPLIED and row["order_id"] == order_id
    payload, signature = SandboxGateway(settings.secret_bytes).notification(order_id, 850_000)
    forged = await client.post("/payments/sandbox/notify", data=payload, headers={"x-signature": "bad"})
    assert forged.status_code == 400 and await GatewayTransaction.count() == 1
    for _ in range(2):
        response = await client.post("/payments/sandbox/notify", data=payload, headers={"x-signature": signature})
        assert response.status_code == 200
        assert response.json() == {
            "ok": True,
            "transaction_id": payload["transaction_id"],
            "outcome": "credited",
            "order_id": order_id,
            "status": "paid",
        }
    assert await GatewayTransaction.count() == 2
    assert await balance("partner-b-buyer") == START_BALANCE + STANDARD_MONTH
    assert await Outbox.count().where(Outbox.subject == captures.CREDITED_SUBJECT) == 1
