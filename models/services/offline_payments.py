"""线下合同订单 (SPEC.md §7, §15): orders whose placer chose 申请线上合同请款后支付 wait for an operator, who either
confirms the payment arrived (确认到账, with the bank's payment reference) or rejects the order (驳回, with a reason).

One rule for the console's screen and `partner-console orders confirm-offline`: confirming pays the order through
models.services.payments.settle (the state machine, the coupon spent, the plan fulfilled, the placer notified), so a
second confirmation never pays twice: the same reference again is answered with the first result (a double submit),
another one is a 409 saying the order was already confirmed. Rejecting cancels the pending order through the state
machine and tells the placer why. Each action is one transaction with its audit row (models.services.audit).

The money of a contract payment comes from outside the console (a bank transfer), like an online capture: no balance
changes, so no ledger entry is written; the order's charges are what paying it records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from piccolo.columns.combination import Combinable

from models.db import lock_partner, write_transaction
from models.enums import AuditAction, NotificationKind, OrderStatus, PaymentMethod
from models.records import Operator, Order
from models.rules.money import format_datetime_cn, format_money
from models.services import audit, orders, payments
from models.services.errors import N_, Conflict, DomainError
from models.services.notifications import notify
from models.services.partner_requests import check_reason
from models.tables import Account as AccountTable
from models.tables import SupportOrder

#: A payment reference as the bank shows it (SupportOrder.payment_ref holds 64 characters).
REFERENCE_MAX = 64
#: The reference `partner-console orders confirm-offline` records when none is given.
CLI_REFERENCE = "offline"
#: Waiting orders per page.
PAGE_SIZE = 20

NO_REFERENCE = N_("请填写付款参考号（银行流水号等）。")
BAD_REFERENCE = N_("付款参考号为1–64个字符，不能含控制字符。")
NOT_CONTRACT = N_("订单 %(order)s 不是等待合同付款的订单。")
ALREADY_CONFIRMED = N_("订单 %(order)s 已于 %(when)s 确认到账（付款参考号 %(reference)s），不会再次收款。")
ALREADY_CANCELLED = N_("订单 %(order)s 已于 %(when)s 取消，不能再确认到账或驳回。")
REJECTED_SUBJECT = "线下合同订单已驳回"


@dataclass(frozen=True, slots=True)
class WaitingOrder:
    """An order waiting for its offline contract payment, with who placed it and for which company."""

    order: Order
    login: str
    company: str


@dataclass(frozen=True, slots=True)
class WaitingPage:
    orders: list[WaitingOrder]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True, slots=True)
class Confirmed:
    order: Order
    replay: bool  # True: it was already confirmed with this reference (nothing was done this time)


def check_reference(reference: str) -> str:
    reference = reference.strip()
    if not reference:
        raise DomainError(NO_REFERENCE, field="reference")
    if len(reference) > REFERENCE_MAX or not reference.isprintable():
        raise DomainError(BAD_REFERENCE, field="reference")
    return reference


def _waiting() -> Combinable:
    return (SupportOrder.method == PaymentMethod.CONTRACT) & (SupportOrder.status == OrderStatus.PENDING)


async def waiting(page: int = 1) -> WaitingPage:
    """线下合同订单: pending orders whose placer chose the contract payment, oldest first (the longest waiting)."""
    total = await SupportOrder.count().where(_waiting())
    page = max(1, page)
    rows = (
        await SupportOrder.select(
            *SupportOrder.all_columns(),
            SupportOrder.account.login.as_alias("login"),
            SupportOrder.account.company_name.as_alias("company"),
        )
        .where(_waiting())
        .order_by(SupportOrder.created_at)
        .order_by(SupportOrder.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    found = [WaitingOrder(Order.from_row(row), row["login"], row["company"]) for row in rows]
    return WaitingPage(found, total, page, PAGE_SIZE)


async def waiting_order(order_id: str) -> WaitingOrder:
    """One order of the list (for its 确认到账 / 驳回 page), whatever its state now."""
    order = await orders.get(order_id)
    row = (
        await AccountTable.select(AccountTable.login, AccountTable.company_name)
        .where(AccountTable.id == order.account)
        .first()
    )
    if row is None:  # pragma: no cover - an order's account is a required foreign key
        raise LookupError(f"order {order_id} has no account")
    return WaitingOrder(order, row["login"], row["company_name"])


def _when(moment: datetime | None) -> str:
    return format_datetime_cn(moment) if moment else ""


def closed(order: Order) -> Conflict | None:
    """Why ORDER is no longer waiting for an offline payment (a 409 saying what happened), or None."""
    if order.status == OrderStatus.PAID:
        return Conflict(ALREADY_CONFIRMED, order=order.id, when=_when(order.paid_at), reference=order.payment_ref or "")
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        return Conflict(ALREADY_CANCELLED, order=order.id, when=_when(order.closed_at))
    if order.method != PaymentMethod.CONTRACT:
        return Conflict(NOT_CONTRACT, order=order.id)
    return None


async def confirm(operator: Operator, order_id: str, reference: str, now: datetime) -> Confirmed:
    """确认到账: the contract payment arrived; the order is paid once, with its audit row."""
    reference = check_reference(reference)
    order = await orders.get(order_id)  # an unknown order: NotFound, nothing written
    async with write_transaction():
        await lock_partner(order.partner)
        order = await orders.get(order_id)  # afresh under the lock: another confirmation may have come first
        if (
            order.status == OrderStatus.PAID
            and order.method == PaymentMethod.CONTRACT
            and order.payment_ref == reference
        ):
            return Confirmed(order, replay=True)  # the same confirmation again: its first result
        problem = closed(order)
        if problem is not None:
            raise problem
        paid = await payments.settle(order_id, now, payer_id=None, payment_ref=reference)
        await audit.record(
            operator,
            AuditAction.CONFIRM_OFFLINE,
            now,
            account_id=order.account,
            order_id=order_id,
            detail=f"付款参考号 {reference}，金额 {format_money(order.due_fen, 'zh_CN')}",
        )
    return Confirmed(paid, replay=False)


async def reject(operator: Operator, order_id: str, reason: str, now: datetime) -> Order:
    """驳回: the order is cancelled (the state machine) and its placer told why; with its audit row."""
    reason = check_reason(reason)
    order = await orders.get(order_id)
    async with write_transaction():
        await lock_partner(order.partner)
        order = await orders.get(order_id)  # afresh under the lock
        problem = closed(order)
        if problem is not None:
            raise problem
        if not await orders.transition(order, OrderStatus.CANCELLED, now):
            raise closed(await orders.get(order_id)) or Conflict(orders.NOT_PENDING)
        await notify(
            order.account,
            REJECTED_SUBJECT,
            f"订单 {order_id}（{format_money(order.due_fen, 'zh_CN')}）的线下合同付款已被驳回，订单已取消。"
            f"驳回原因：{reason}",
            now,
            kind=NotificationKind.PAYMENT_RESULT,
            order_id=order_id,
        )
        await audit.record(
            operator, AuditAction.REJECT_OFFLINE, now, account_id=order.account, order_id=order_id, reason=reason
        )
    return await orders.get(order_id)
