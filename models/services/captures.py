"""Gateway transactions (SPEC.md §11): money that came in is never lost, and never counted twice.

Every verified capture the gateway reports is one `GatewayTransaction` row, written in the same transaction as what
it did:
- it paid its pending online order at the amount due → APPLIED (settled by models.services.payments.settle);
- the order could not take it (already paid — by the balance, or by another transaction —, cancelled, lapsed,
  refunded, not an online order, another amount, or its kind refuses payment now) → CREDITED: the amount goes to the
  balance of the account that placed the order (it is the one that paid at the gateway), with a ledger entry naming
  the transaction and a notification.
The same transaction id delivered again (a replayed callback) answers what happened the first time: the unique key
on `transaction_id` decides between concurrent deliveries, and the loser reads the winner's row. A bad signature or
a malformed payload (not paid, no transaction id, no amount, an unknown order) is refused with nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from piccolo.engine.postgres import PostgresTransaction
from piccolo.engine.sqlite import SQLiteTransaction

from models.db import is_unique_violation, lock_partner, write_transaction
from models.enums import CaptureOutcome, LedgerKind, NotificationKind, OrderStatus, PaymentMethod
from models.records import GatewayTransaction, Order
from models.rules.money import format_money
from models.services import ledger, orders, payments
from models.services.errors import N_, DomainError
from models.services.gateway import Gateway
from models.services.notifications import notify
from models.tables import GatewayTransaction as GatewayTransactionTable

BAD_SIGNATURE = N_("支付通知的签名无效。")
MISMATCH = N_("支付通知与订单不符。")
TRANSACTION_ID_MAX = 64  # the column's length
AMOUNT_DIGITS_MAX = 15  # far above any order, far below BIGINT
NOTE_MAX = 200  # the column's length
CREDITED_SUBJECT = "在线支付已退回余额"


@dataclass(frozen=True, slots=True)
class ListedTransaction:
    """A gateway transaction in the reconciliation list, with the login whose balance it credited."""

    transaction: GatewayTransaction
    credited_login: str | None


def _parse(payload: dict[str, str]) -> tuple[str, str, int]:
    """(transaction id, order id, amount in fen) of a capture, or the refusal of a payload that is none."""
    transaction_id = payload.get("transaction_id", "")
    order_id = payload.get("order_id", "")
    amount = payload.get("amount_fen", "")
    if (
        payload.get("status") != "paid"
        or not 0 < len(transaction_id) <= TRANSACTION_ID_MAX
        or not (transaction_id.isascii() and transaction_id.isprintable())
        or not order_id
        or not (amount.isascii() and amount.isdigit() and len(amount) <= AMOUNT_DIGITS_MAX)
    ):
        raise DomainError(MISMATCH)
    return transaction_id, order_id, int(amount)


async def find(transaction_id: str) -> GatewayTransaction | None:
    row = await GatewayTransactionTable.select().where(GatewayTransactionTable.transaction_id == transaction_id).first()
    return GatewayTransaction.from_row(row) if row else None


async def capture(gateway: Gateway, payload: dict[str, str], signature: str, now: datetime) -> GatewayTransaction:
    """The gateway's callback: verified, recorded once, applied to its order or credited back; safe to repeat."""
    if not gateway.verify(payload, signature):
        raise DomainError(BAD_SIGNATURE)
    transaction_id, order_id, amount_fen = _parse(payload)
    first = await find(transaction_id)
    if first is not None:
        return first  # a replayed callback: what happened the first time
    order = await orders.get(order_id)  # an unknown order is refused (NotFound), nothing written
    try:
        return await _record(gateway.name, transaction_id, order, amount_fen, now)
    except Exception as exc:
        # Another delivery of the same transaction committed first (the unique key): its result is the answer.
        if not is_unique_violation(exc):
            raise
        first = await find(transaction_id)
        if first is None:
            raise
        return first


def _why_not_applied(order: Order, amount_fen: int) -> str | None:
    """Why this capture cannot pay its order (the note kept with it), or None when it can."""
    if order.status == OrderStatus.PAID:
        return f"订单 {order.id} 已支付"
    if order.status == OrderStatus.CANCELLED:
        return f"订单 {order.id} 已取消"
    if order.status == OrderStatus.REFUNDED:
        return f"订单 {order.id} 已退订"
    if order.method != PaymentMethod.ONLINE:
        return f"订单 {order.id} 未选择在线支付"
    if amount_fen != order.due_fen:
        return f"金额与订单 {order.id} 的应付金额 {format_money(order.due_fen, 'zh_CN')} 不符"
    return None


async def _settle_or_refusal(order: Order, transaction_id: str, now: datetime) -> str | None:
    """Pays the order with the capture inside the current transaction; when its kind refuses payment now, undoes
    whatever the attempt wrote (a savepoint) and returns the refusal instead."""
    transaction = GatewayTransactionTable._meta.db.current_transaction.get()
    if not isinstance(transaction, SQLiteTransaction | PostgresTransaction):
        raise RuntimeError("a capture is settled inside a write transaction")
    savepoint = await transaction.savepoint()
    try:
        await payments.settle(order.id, now, payer_id=None, payment_ref=transaction_id)
    except DomainError as refused:
        await savepoint.rollback_to()
        return str(refused)
    await savepoint.release()
    return None


async def _record(
    provider: str, transaction_id: str, order: Order, amount_fen: int, now: datetime
) -> GatewayTransaction:
    async with write_transaction():
        await lock_partner(order.partner)
        first = await find(transaction_id)  # read again under the lock: a concurrent delivery may have won
        if first is not None:
            return first
        order = await orders.get(order.id)  # afresh under the lock
        reason = _why_not_applied(order, amount_fen)
        if reason is None:
            reason = await _settle_or_refusal(order, transaction_id, now)
        credited_to = None
        if reason is not None:
            credited_to = order.account  # the placer chose online payment and paid at the gateway
            money = format_money(amount_fen, "zh_CN")
            await ledger.credit(
                credited_to,
                amount_fen,
                now,
                kind=LedgerKind.REFUND,
                order_id=order.id,
                note=f"在线支付交易 {transaction_id} 退回余额",
            )
            await notify(
                credited_to,
                CREDITED_SUBJECT,
                f"在线支付交易 {transaction_id} 的 {money} 未能用于支付订单 {order.id}（{reason}），已退回您的余额。",
                now,
                kind=NotificationKind.REFUND,
                order_id=order.id,
            )
        await GatewayTransactionTable.insert(
            GatewayTransactionTable(
                provider=provider,
                transaction_id=transaction_id,
                order_id=order.id,
                amount_fen=amount_fen,
                outcome=CaptureOutcome.APPLIED if reason is None else CaptureOutcome.CREDITED,
                credited_to=credited_to,
                note=(reason or "")[:NOTE_MAX],
                received_at=now,
            )
        )
        recorded = await find(transaction_id)
    if recorded is None:  # pragma: no cover - the row was inserted just above
        raise LookupError(f"gateway transaction {transaction_id} was not recorded")
    return recorded


async def list_all() -> list[ListedTransaction]:
    """Every gateway transaction, oldest first, with the login whose balance a credited one went to."""
    rows = await GatewayTransactionTable.select(
        *GatewayTransactionTable.all_columns(),
        GatewayTransactionTable.credited_to.login.as_alias("credited_login"),
    ).order_by(GatewayTransactionTable.id)
    return [ListedTransaction(GatewayTransaction.from_row(row), row["credited_login"]) for row in rows]
